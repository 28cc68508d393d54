package petu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/transcode"
)

// maxRequestBody bounds the JSON bodies the API reads.
const maxRequestBody = 16 << 10

// API returns the app's HTTP API. In AWS it is served through a Lambda Function URL; locally
// petu/cmd/petu mounts it as it is.
//
//	POST   /api/uploads      {"fileName", "contentType", "size"} → an upload form for the browser,
//	                         for a file of exactly that size
//	GET    /api/videos       ?limit=&cursor= → the caller's videos, newest first
//	GET    /api/videos/{id}  → one video
//	DELETE /api/videos/{id}  → removes the video, its source and its renditions
//
// Every request carries the caller's sign-in token as "Authorization: Bearer <token>"; a missing,
// forged or expired token gets 401.
func (a *App) API() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/uploads", a.authed(a.createUpload))
	mux.HandleFunc("GET /api/videos", a.authed(a.listVideos))
	mux.HandleFunc("GET /api/videos/{id}", a.authed(a.getVideo))
	mux.HandleFunc("DELETE /api/videos/{id}", a.authed(a.deleteVideo))
	return mux
}

type authedHandler func(w http.ResponseWriter, r *http.Request, id identity.Identity)

// authed swaps the request's bearer token for the caller's identity before calling h.
func (a *App) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="petu"`)
			writeError(w, http.StatusUnauthorized, "sign in first: no bearer token")
			return
		}
		id, err := a.logins.identity(r.Context(), token)
		switch {
		case err == nil:
			h(w, r, id)
		case errors.Is(err, identity.ErrNotAuthorized), errors.Is(err, identity.ErrUnknownProvider):
			w.Header().Set("WWW-Authenticate", `Bearer realm="petu", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "sign-in token refused")
		case errors.Is(err, identity.ErrThrottled):
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, "too many sign-ins; try again")
		default:
			a.fail(w, r, "exchange", err)
		}
	}
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header. The scheme's name
// is case-insensitive (RFC 9110, section 11.1), so "bearer" and "BEARER" are Bearer too.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// decodeJSON reads the request's body into v: one JSON value of v's shape, no field v does not
// have and nothing after it, so that a client's mistake (a misspelt field, two objects sent as
// one) is answered rather than silently half-read. On an error it has answered the request.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the JSON value")
			if errors.As(terr, new(*http.MaxBytesError)) {
				err = terr
			}
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: larger than %d bytes", tooLarge.Limit))
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "body: empty; want a JSON object")
	default:
		writeError(w, http.StatusBadRequest, "body: "+strings.TrimPrefix(err.Error(), "json: "))
	}
	return false
}

// UploadRequest is the body of POST /api/uploads.
type UploadRequest struct {
	FileName    string `json:"fileName"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// UploadResponse answers POST /api/uploads: the browser posts the file with Form.
type UploadResponse struct {
	VideoID string `json:"videoId"`
	Key     string `json:"key"`
	// MaxSize is the size the form takes: the declared size, no more and no less.
	MaxSize int64       `json:"maxSize"`
	Form    *UploadForm `json:"form"`
}

// UploadForm is storage.UploadForm as the browser reads it.
type UploadForm struct {
	URL     string            `json:"url"`
	Fields  map[string]string `json:"fields"`
	Expires time.Time         `json:"expires"`
}

func (a *App) createUpload(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	var req UploadRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	switch {
	case !strings.HasPrefix(req.ContentType, "video/"):
		writeError(w, http.StatusBadRequest, "only videos can be uploaded (content type video/*)")
		return
	case req.Size < 0:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("size %d: want the file's size in bytes", req.Size))
		return
	case req.Size == 0:
		writeError(w, http.StatusBadRequest, "the file is empty (size 0)")
		return
	case req.Size > a.cfg.MaxUploadSize:
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("videos are limited to %d bytes", a.cfg.MaxUploadSize))
		return
	}
	videoID := newVideoID(a.cfg.Now())
	key := uploadKey(id.ID, videoID, cleanFileName(req.FileName))
	creds := id.Credentials
	form, err := a.Uploads.UploadForm(r.Context(), key, &storage.FormOptions{
		Expiry: a.cfg.UploadExpiry,
		// The bucket takes the declared size and no other, so the size the API checked is the
		// size stored.
		MinSize:     req.Size,
		MaxSize:     req.Size,
		ContentType: req.ContentType,
		Credentials: &creds,
	})
	if err != nil {
		a.fail(w, r, "upload form", err)
		return
	}
	writeJSON(w, http.StatusOK, UploadResponse{
		VideoID: videoID,
		Key:     key,
		MaxSize: req.Size,
		Form:    &UploadForm{URL: form.URL, Fields: form.Fields, Expires: form.Expires},
	})
}

// VideoView is a video as the API returns it, with signed URLs for what can be played.
type VideoView struct {
	*Video
	Renditions   []RenditionView `json:"renditions"`
	ThumbnailURL string          `json:"thumbnailUrl,omitempty"`
}

// RenditionView is a rendition with a URL to play it.
type RenditionView struct {
	Rendition
	URL string `json:"url"`
}

// VideoList answers GET /api/videos.
type VideoList struct {
	Videos []VideoView `json:"videos"`
	// Next continues the list; empty on the last page.
	Next string `json:"next,omitempty"`
}

func (a *App) listVideos(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	limit := DefaultPageSize
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1 to %d", MaxPageSize))
			return
		}
		limit = n
	}
	page, err := a.Videos.Query(r.Context(), table.String(id.ID), &table.QueryOptions{
		Descending: true,
		Limit:      limit,
		Cursor:     r.URL.Query().Get("cursor"),
	})
	if errors.Is(err, table.ErrInvalidArgument) {
		writeError(w, http.StatusBadRequest, "bad cursor")
		return
	}
	if err != nil {
		a.fail(w, r, "list videos", err)
		return
	}
	list := VideoList{Videos: make([]VideoView, 0, len(page.Items)), Next: page.Cursor}
	for i := range page.Items {
		v, err := a.view(r.Context(), &page.Items[i])
		if err != nil {
			a.fail(w, r, "sign URLs", err)
			return
		}
		list.Videos = append(list.Videos, v)
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *App) getVideo(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	v, ok := a.lookup(w, r, id)
	if !ok {
		return
	}
	view, err := a.view(r.Context(), &v)
	if err != nil {
		a.fail(w, r, "sign URLs", err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

func (a *App) deleteVideo(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	v, ok := a.lookup(w, r, id)
	if !ok {
		return
	}
	if err := a.DeleteVideo(r.Context(), &v); err != nil {
		a.fail(w, r, "delete video", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// lookup reads the caller's video named in the path. Another owner's video is not found: the
// table is keyed by owner, so there is nothing to leak.
func (a *App) lookup(w http.ResponseWriter, r *http.Request, id identity.Identity) (Video, bool) {
	videoID := r.PathValue("id")
	if !videoIDPattern.MatchString(videoID) {
		writeError(w, http.StatusNotFound, "no such video")
		return Video{}, false
	}
	v, err := a.Videos.Get(r.Context(), videoKey(id.ID, videoID), nil)
	if errors.Is(err, table.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such video")
		return Video{}, false
	}
	if err != nil {
		a.fail(w, r, "get video", err)
		return Video{}, false
	}
	return v, true
}

// DeleteVideo removes a video: its job if still running, its renditions and thumbnail, its
// source, then its record — the record last, so that a failure part way leaves something to
// retry the delete from.
func (a *App) DeleteVideo(ctx context.Context, v *Video) error {
	if v.JobID != "" && v.Status == StatusProcessing {
		err := a.Transcoder.Cancel(ctx, v.JobID)
		if err != nil && !errors.Is(err, transcode.ErrFinished) && !errors.Is(err, transcode.ErrNotFound) {
			return fmt.Errorf("petu: cancel job %s: %w", v.JobID, err)
		}
	}
	for obj, err := range storage.Objects(ctx, a.Media, &storage.ListOptions{Prefix: mediaPrefix(v.Owner, v.ID)}) {
		if err != nil {
			return fmt.Errorf("petu: list renditions: %w", err)
		}
		if err := a.Media.Delete(ctx, obj.Key); err != nil {
			return fmt.Errorf("petu: delete rendition: %w", err)
		}
	}
	if v.SourceKey != "" {
		if err := a.Uploads.Delete(ctx, v.SourceKey); err != nil {
			return fmt.Errorf("petu: delete source: %w", err)
		}
	}
	if err := a.Videos.Delete(ctx, videoKey(v.Owner, v.ID), nil); err != nil {
		return fmt.Errorf("petu: delete record: %w", err)
	}
	return nil
}

// view signs short-lived URLs for a video's renditions and thumbnail.
func (a *App) view(ctx context.Context, v *Video) (VideoView, error) {
	view := VideoView{Video: v, Renditions: make([]RenditionView, 0, len(v.Renditions))}
	opts := &storage.SignOptions{Expiry: a.cfg.URLExpiry}
	for _, r := range v.Renditions {
		u, err := a.Media.SignURL(ctx, r.Key, opts)
		if err != nil {
			return VideoView{}, err
		}
		view.Renditions = append(view.Renditions, RenditionView{Rendition: r, URL: u})
	}
	if v.Thumbnail != "" {
		u, err := a.Media.SignURL(ctx, v.Thumbnail, opts)
		if err != nil {
			return VideoView{}, err
		}
		view.ThumbnailURL = u
	}
	return view, nil
}

func videoKey(owner, videoID string) table.Key {
	return table.Key{Partition: table.String(owner), Sort: table.String(videoID)}
}

// fail answers 500 and logs the cause, which the caller does not see.
func (a *App) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.cfg.Logger.ErrorContext(r.Context(), "petu api: "+what, slog.String("path", r.URL.Path), slog.Any("error", err))
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
