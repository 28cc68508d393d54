// Package site holds petu's static website: plain HTML, CSS and JavaScript with no build step.
//
// The files are embedded so that the app can publish them to its site bucket at start-up and
// serve them from there, as the seed hosts its website on S3. Besides these files the site reads
// one generated object, config.json, that tells it where the API is and how users sign in:
//
//	{"api": "", "signIn": {"provider": "local", "tokenURL": "/auth/token"}}
//	{"api": "https://….lambda-url.….on.aws", "signIn": {"provider": "google", "clientId": "…"}}
package site

import "embed"

// Files is the website: index.html, app.js and style.css at its root.
//
//go:embed index.html app.js style.css
var Files embed.FS
