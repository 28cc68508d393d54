package petu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"path"

	"github.com/servous/servous/petu/site"
	"github.com/servous/servous/storage"
)

// SiteConfig is the site's config.json: where the API is and how users sign in.
type SiteConfig struct {
	// API is the API's base URL; empty when the site and the API share an origin.
	API    string     `json:"api"`
	SignIn SignInInfo `json:"signIn"`
	// Costs, when set, is the URL of a JSON document of what the run has cost on AWS, which the
	// site shows beside each ready video: the local command serves one; a deployment does not.
	Costs string `json:"costs,omitempty"`
}

// SignInInfo tells the site how to sign users in.
type SignInInfo struct {
	// Provider is "google" (Google Identity Services, with ClientID) or "local" (a token from
	// TokenURL, for local runs).
	Provider string `json:"provider"`
	ClientID string `json:"clientId,omitempty"`
	TokenURL string `json:"tokenURL,omitempty"`
}

// PublishSite writes the embedded website and its config.json to the site bucket, from where
// browsers load it, as the seed hosts its website on S3.
func PublishSite(ctx context.Context, b storage.Bucket, cfg SiteConfig) error {
	err := fs.WalkDir(site.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(site.Files, name)
		if err != nil {
			return err
		}
		_, err = storage.PutBytes(ctx, b, name, data, &storage.PutOptions{
			ContentType:  contentType(name),
			CacheControl: "no-cache",
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("petu: publish site: %w", err)
	}
	conf, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	_, err = b.Put(ctx, "config.json", bytes.NewReader(conf), &storage.PutOptions{
		ContentType:  "application/json",
		CacheControl: "no-cache",
	})
	if err != nil {
		return fmt.Errorf("petu: publish site config: %w", err)
	}
	return nil
}

func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}
