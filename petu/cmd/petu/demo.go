package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/storage"
)

// demoTimeout bounds -demo: the sample takes seconds even with ffmpeg.
const demoTimeout = 2 * time.Minute

// runDemo plays a browser against the running app: it signs in, uploads the sample with the form
// the API signs, waits for the video to be ready, and prints its record and URLs.
func runDemo(ctx context.Context, out io.Writer, base string, l *local) error {
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	c := &client{base: base, http: &http.Client{Timeout: 30 * time.Second}}
	// The site's publication is the deployment's, not the upload's: the projection leaves it out.
	var before cost.Usage
	if l.Costs != nil {
		before = l.Costs.all.Usage()
	}

	if err := c.do(ctx, http.MethodPost, "/auth/token", map[string]string{"name": "demo"}, &struct {
		Token *string `json:"token"`
	}{&c.token}); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	var up petu.UploadResponse
	err := c.do(ctx, http.MethodPost, "/api/uploads", petu.UploadRequest{
		FileName: "sample.mp4", ContentType: "video/mp4", Size: int64(len(sample)),
	}, &up)
	if err != nil {
		return fmt.Errorf("ask for an upload form: %w", err)
	}
	form := storage.UploadForm{URL: up.Form.URL, Fields: up.Form.Fields, Expires: up.Form.Expires}
	req, err := form.NewRequest(ctx, bytes.NewReader(sample), int64(len(sample)), "video/mp4")
	if err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("upload: %s: %s", res.Status, body)
	}
	fmt.Fprintf(out, "\nuploaded %d bytes to %s/%s\n", len(sample), uploadsBucket, up.Key)

	var v petu.VideoView
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		err := c.do(ctx, http.MethodGet, "/api/videos/"+up.VideoID, nil, &v)
		var he *httpError
		switch {
		case errors.As(err, &he) && he.status == http.StatusNotFound:
			// on-upload has not created the record yet
		case err != nil:
			return err
		case v.Status == petu.StatusReady || v.Status == petu.StatusFailed:
			if err := report(ctx, out, c, &v); err != nil {
				return err
			}
			if l.Costs != nil {
				printCosts(out, l.Costs, before, v.ID)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("video %s still %q: %w", up.VideoID, v.Status, ctx.Err())
		case <-poll.C:
		}
	}
}

func report(ctx context.Context, out io.Writer, c *client, v *petu.VideoView) error {
	rec, _ := json.MarshalIndent(v, "", "  ")
	fmt.Fprintf(out, "\nGET /api/videos/%s:\n%s\n", v.ID, rec)
	if v.Status != petu.StatusReady {
		return fmt.Errorf("video %s failed: %s", v.ID, v.Error)
	}
	fmt.Fprintf(out, "\nsigned URLs:\n")
	for _, r := range v.Renditions {
		n, err := c.fetch(ctx, r.URL)
		if err != nil {
			return fmt.Errorf("rendition %s: %w", r.Name, err)
		}
		fmt.Fprintf(out, "  %-6s %4d×%-4d %7d bytes  %s\n", r.Name, r.Width, r.Height, n, r.URL)
	}
	if v.ThumbnailURL != "" {
		n, err := c.fetch(ctx, v.ThumbnailURL)
		if err != nil {
			return fmt.Errorf("thumbnail: %w", err)
		}
		fmt.Fprintf(out, "  thumb            %7d bytes  %s\n", n, v.ThumbnailURL)
	}
	fmt.Fprintf(out, "\nvideo %s is ready\n", v.ID)
	return nil
}

// client calls the app over HTTP, as the website does.
type client struct {
	base  string
	token string
	http  *http.Client
}

type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return &httpError{status: res.StatusCode, body: string(bytes.TrimSpace(b))}
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return nil
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// fetch downloads a signed URL and returns its size.
func (c *client) fetch(ctx context.Context, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET: %s", res.Status)
	}
	return n, err
}

// printCosts prints what the demo's upload cost on AWS's prices since before (sign-in, upload,
// transcode, polling the API, fetching the renditions), by service, the video's share, and what a
// thousand such uploads would cost.
func printCosts(out io.Writer, ms *meters, before cost.Usage, videoID string) {
	prices := cost.USEast1()
	r := ms.all.Usage().Sub(before).Report(prices)
	fmt.Fprintf(out, "\nwhat this upload would cost on AWS (%s, on-demand prices of %s, no free tier),\n", r.Region, r.AsOf)
	fmt.Fprintf(out, "from sign-in to fetching its renditions (publishing the site is left out):\n")
	for _, s := range r.Services {
		fmt.Fprintf(out, "  %-18s $%.8f\n", s.Service, s.Cost)
	}
	fmt.Fprintf(out, "  %-18s $%.8f\n", "total", r.Total)
	fmt.Fprintf(out, "  %-18s $%.8f a month, for the bytes left stored\n", "idle", r.IdlePerMonth)
	if v, ok := ms.costs(prices).Videos[videoID]; ok {
		fmt.Fprintf(out, "\nvideo %s: upload $%.8f, transcode $%.8f, playback $%.8f, storage $%.8f a month\n",
			videoID, v.Upload, v.Transcode, v.Playback, v.Storage)
	}
	fmt.Fprintf(out, "\nin detail:\n%s", r)
	k := r.PerRuns(1000)
	fmt.Fprintf(out, "\n1,000 uploads like this one (sign-in, upload, transcode, play):\n")
	for _, s := range k.Services {
		fmt.Fprintf(out, "  %-18s $%.4f\n", s.Service, s.Cost)
	}
	fmt.Fprintf(out, "  %-18s $%.4f\n", "total", k.Total)
	fmt.Fprintf(out, "  %-18s $%.4f a month, for the bytes left stored\n", "idle", k.IdlePerMonth)
}
