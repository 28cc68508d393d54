package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowser drives headless Chromium through the website as a user would: sign in on the local
// form, upload a real MP4 and watch the progress bar, wait until the video is ready, play its 480p
// rendition until the video element has a frame to show, and delete it. The app runs with ffmpeg
// as its transcoder, so the browser decodes real H.264/AAC renditions.
//
// On failure the test saves a screenshot of the page, the page's HTML and its console to a
// directory that it names in the output. PETU_BROWSER_SHOTS=dir saves a screenshot of every step
// there even when the test passes.
func TestBrowser(t *testing.T) {
	requireFFmpeg(t)
	chromium := requireChromium(t)
	// 1280×720 gives two renditions, 720p and 480p, so the test has a real choice to make.
	src := makeClip(t, filepath.Join(t.TempDir(), "clip.mp4"), 1280, 720)

	l, base := startLocal(t, config{Transcoder: "ffmpeg"})
	b := newBrowser(t, chromium)
	// One deadline for the whole walk, so that a stuck page fails the test and never hangs CI.
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Minute)
	defer cancel()
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		b.shotIfAsked(step)
	}

	do("sign in",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("local-name")),
		chromedp.SendKeys(chromedp.ID("local-name"), "Ada"),
		chromedp.Click(chromedp.CSS(`#local-sign-in button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("upload")),
	)
	if who := must(t, ctx, "signed-in name", chromedp.TextContent(chromedp.ID("who-name"))); who != "Ada" {
		t.Errorf("signed in as %q, want Ada", who)
	}
	const mp4 = `video/mp4; codecs="avc1.640028, mp4a.40.2"` // High profile 4.0, AAC-LC, as petu makes
	canPlay := must(t, ctx, "canPlayType", chromedp.Evaluate[string](
		fmt.Sprintf(`document.createElement('video').canPlayType(%q)`, mp4)))
	t.Logf("Chromium: canPlayType(%s) = %q", mp4, canPlay)
	if canPlay == "" {
		t.Fatalf("this Chromium cannot play H.264/AAC in MP4 (canPlayType %q); petu's renditions are H.264/AAC", mp4)
	}

	// In AWS the bucket's notification reaches on-upload a moment after the upload has finished,
	// so the page's first look at the list finds no record yet. Hold the events until the page has
	// had that look, so that it must keep looking.
	l.Bus.Pause()
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			l.Bus.Resume()
		}
	}
	defer resume()
	// Record every text the progress line shows, to see the percentages the upload went through.
	do("upload",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const text = document.getElementById('progress-text');
			window.progressSeen = [];
			new MutationObserver(() => window.progressSeen.push(text.textContent))
				.observe(text, { childList: true, characterData: true, subtree: true });
		})()`),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{src}),
		chromedp.Click(chromedp.ID("upload-button")),
		chromedp.WaitVisible(chromedp.ID("progress")),
		chromedp.Poll[chromedp.Void](`document.getElementById('progress').value === 100`,
			chromedp.WithPollingTimeout(time.Minute), chromedp.WithPollingMutation()),
		// The page is done with the upload when its button is enabled again.
		chromedp.WaitEnabled(chromedp.ID("upload-button")),
	)
	if n := l.Videos.Len(); n != 0 {
		t.Fatalf("%d video records while the bus is paused", n)
	}
	resume()
	seen := must(t, ctx, "progress texts", chromedp.Evaluate[[]string](`window.progressSeen`))
	percent := regexp.MustCompile(`^\d{1,3}%$`)
	if !slices.ContainsFunc(seen, percent.MatchString) {
		t.Errorf("the progress text never showed a percentage; it showed %q", seen)
	}
	if msg := must(t, ctx, "upload error", chromedp.TextContent(chromedp.ID("upload-error"))); msg != "" {
		t.Fatalf("upload error on the page: %q", msg)
	}

	// The list polls while the upload is on its way; wait until the item says ready, or failed.
	type item struct{ ID, Status, Name, Detail string }
	it := must(t, ctx, "wait for the video to be ready", chromedp.Poll[item](`(() => {
		const li = document.querySelector('#videos li.video');
		if (!li || (li.dataset.status !== 'ready' && li.dataset.status !== 'failed')) return null;
		return { ID: li.dataset.id, Status: li.querySelector('.status').textContent,
			Name: li.querySelector('.name').textContent, Detail: li.querySelector('.detail').textContent };
	})()`, chromedp.WithPollingTimeout(2*time.Minute), chromedp.WithPollingInterval(100*time.Millisecond)))
	b.shotIfAsked("ready")
	if it.Status != "ready" {
		t.Fatalf("the video is %s: %s", it.Status, it.Detail)
	}
	if it.Name != "clip.mp4" || !strings.Contains(it.Detail, "480p") || !strings.Contains(it.Detail, "720p") {
		t.Errorf("list item: name %q, detail %q; want clip.mp4 with 720p and 480p", it.Name, it.Detail)
	}
	// The local run meters what AWS would bill: the ready video shows what its upload, transcode
	// and storage cost, and the page the total since the run started.
	type costs struct{ Item, Total string }
	shown := must(t, ctx, "costs shown", chromedp.Poll[costs](`(() => {
		const c = document.querySelector('#videos li.video .cost'), total = document.getElementById('costs');
		if (!c || c.hidden || total.hidden) return null;
		return { Item: c.textContent, Total: document.getElementById('costs-total').textContent };
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	t.Logf("cost shown: %q; total %q", shown.Item, shown.Total)
	itemCost := regexp.MustCompile(`^On AWS: upload \$0\.\d+ · transcode \$0\.\d+ · storage \$0\.\d+/month`)
	if !itemCost.MatchString(shown.Item) {
		t.Errorf("the ready video's cost reads %q, want %s", shown.Item, itemCost)
	}
	if !regexp.MustCompile(`^\$0\.\d+$`).MatchString(shown.Total) {
		t.Errorf("the total reads %q, want a dollar amount above zero", shown.Total)
	}
	// Once its video is ready, the upload form lets go of it.
	do("upload form cleared", chromedp.WaitNotVisible(chromedp.ID("progress")))

	do("play",
		chromedp.Click(chromedp.CSS(`#videos li.video .play`)),
		chromedp.WaitVisible(chromedp.ID("player")),
	)
	options := must(t, ctx, "renditions", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#rendition option')].map((o) => o.textContent)`))
	if want := []string{"480p (854×480)", "720p (1280×720)"}; !slices.Equal(options, want) {
		t.Fatalf("renditions offered: %q, want %q", options, want)
	}
	// Choose with the keyboard, as a user does: down to 720p, then back up to 480p.
	do("choose 480p",
		chromedp.Focus(chromedp.ID("rendition")),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.Poll[chromedp.Void](`document.getElementById('rendition').selectedIndex === 1`,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.KeyEvent(kb.ArrowUp),
		chromedp.Poll[chromedp.Void](`document.getElementById('rendition').selectedIndex === 0`,
			chromedp.WithPollingTimeout(10*time.Second)),
	)
	type media struct {
		ReadyState, Width, Height int
		Src, Want, Error          string
	}
	// readyState 2 is HAVE_CURRENT_DATA: the browser has decoded a frame of the chosen rendition.
	m := must(t, ctx, "wait for the video element", chromedp.Poll[media](`(() => {
		const v = document.getElementById('video'), want = document.getElementById('rendition').value;
		if (v.error) return { Error: v.error.code + ': ' + v.error.message, Src: v.currentSrc, Want: want };
		if (v.currentSrc !== want || v.readyState < 2) return null;
		return { ReadyState: v.readyState, Width: v.videoWidth, Height: v.videoHeight, Src: v.currentSrc, Want: want };
	})()`, chromedp.WithPollingTimeout(time.Minute), chromedp.WithPollingInterval(50*time.Millisecond)))
	if m.Error != "" {
		t.Fatalf("the video element failed on %s: MediaError %s", m.Src, m.Error)
	}
	if m.Width != 854 || m.Height != 480 {
		t.Errorf("playing %s: video is %d×%d, want 854×480", m.Src, m.Width, m.Height)
	}
	// The chosen rendition plays: time moves on.
	played := must(t, ctx, "wait for playback", chromedp.Poll[float64](`(() => {
		const v = document.getElementById('video');
		return v.currentTime > 0 ? v.currentTime : null;
	})()`, chromedp.WithPollingTimeout(time.Minute)))
	b.shotIfAsked("playing")
	t.Logf("the 480p rendition reached readyState %d and played to %.2f s", m.ReadyState, played)

	do("delete",
		chromedp.Click(chromedp.CSS(`#videos li.video .delete`)),
		chromedp.WaitVisible(chromedp.ID("empty")),
		chromedp.WaitNotVisible(chromedp.ID("player")),
	)
	if n := must(t, ctx, "list after delete", chromedp.Evaluate[int](`document.querySelectorAll('#videos li').length`)); n != 0 {
		t.Errorf("%d items left in the list after delete", n)
	}
	settle(t, ctx, l)
	// The site works within its Content Security Policy: the browser refused nothing it loads.
	for _, line := range b.consoleLines() {
		if strings.Contains(line, "Content Security Policy") {
			t.Errorf("the page broke its Content Security Policy: %s", line)
		}
	}
	if v, u, md := l.Videos.Len(), l.Uploads.Len(), l.Media.Len(); v+u+md != 0 {
		t.Errorf("left after delete: %d video records, %d uploads, %d media objects", v, u, md)
	}
}

// must runs one action and fails the test, naming the step, on its error.
func must[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// requireChromium returns the path of Chromium, and skips without it unless SERVOUS_REQUIRE_PEERS=1
// makes that a failure.
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not on PATH; install the Debian package chromium (apt-get install chromium)"
	if os.Getenv("SERVOUS_REQUIRE_PEERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// makeClip writes a 2-second H.264/AAC MP4 of ffmpeg's test pattern and a tone, with its index at
// the front as a camera app or an editor would save it.
func makeClip(t *testing.T, path string, width, height int) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=25:duration=2", width, height),
		"-f", "lavfi", "-i", "sine=frequency=440:duration=2",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k", "-shortest", "-movflags", "+faststart", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

// browser is one headless Chromium with one tab, and what it tells about a failure.
type browser struct {
	t   *testing.T
	ctx context.Context // the tab

	mu      sync.Mutex
	console []string
	dir     string // where screenshots go, made on first use
	shots   int
}

func newBrowser(t *testing.T, path string) *browser {
	t.Helper()
	b := &browser{t: t}
	profile := t.TempDir() // removed after the browser has exited: cleanups run in reverse
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container has no user namespaces for the sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("mute-audio", true),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	// Start the browser now, so that a broken one fails here with its own error. The first action
	// on a tab's context starts the browser and ties it to that context, so this one has no
	// deadline of its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	b.ctx = ctx

	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			line := string(m.Type) + ": " + m.Text
			if m.URL != "" {
				line += fmt.Sprintf(" (%s:%d)", m.URL, m.Line)
			}
			b.mu.Lock()
			b.console = append(b.console, line)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancelTab()
		<-done
	})
	t.Cleanup(b.onFailure)
	return b
}

// consoleLines returns what the page wrote to its console so far.
func (b *browser) consoleLines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.console)
}

// onFailure saves what the page looked like when the test failed.
func (b *browser) onFailure() {
	if !b.t.Failed() {
		return
	}
	b.shot("failure")
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		b.save("failure.html", []byte(html))
	}
	b.mu.Lock()
	console := strings.Join(b.console, "\n")
	b.mu.Unlock()
	if console != "" {
		b.save("console.txt", []byte(console+"\n"))
		b.t.Logf("browser console:\n%s", console)
	}
}

// shotIfAsked saves a screenshot of a step when PETU_BROWSER_SHOTS names a directory.
func (b *browser) shotIfAsked(step string) {
	if os.Getenv("PETU_BROWSER_SHOTS") != "" {
		b.shot(step)
	}
}

// shot saves a full-page PNG of the tab. It uses its own deadline, so that it works after the
// test's has passed.
func (b *browser) shot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.mu.Lock()
	b.shots++
	n := b.shots
	b.mu.Unlock()
	b.save(fmt.Sprintf("%02d-%s.png", n, strings.ReplaceAll(name, " ", "-")), png)
}

// save writes a file to the test's artifact directory: PETU_BROWSER_SHOTS, or a new directory in
// the system's temporary directory that outlives the test.
func (b *browser) save(name string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dir == "" {
		dir := os.Getenv("PETU_BROWSER_SHOTS")
		var err error
		if dir != "" {
			err = os.MkdirAll(dir, 0o755)
		} else {
			dir, err = os.MkdirTemp("", "petu-browser-")
		}
		if err != nil {
			b.t.Logf("cannot save %s: %v", name, err)
			return
		}
		b.dir = dir
		b.t.Logf("browser artifacts in %s", dir)
	}
	p := filepath.Join(b.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil && !errors.Is(err, os.ErrExist) {
		b.t.Logf("cannot save %s: %v", name, err)
		return
	}
	b.t.Logf("saved %s", p)
}
