package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/servous/servous/storage"
)

// testLimits are short, so that the test sees connections cut; they are long enough for a
// loaded machine to move 64 KiB of a healthy transfer.
var testLimits = limits{ReadHeader: 3 * time.Second, Read: 3 * time.Second, Write: 3 * time.Second, Idle: 3 * time.Second}

// closedBy reports whether the server closes conn (EOF or a reset) before the deadline, reading
// and dropping whatever it answers first.
func closedBy(t *testing.T, conn net.Conn, deadline time.Duration) bool {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(deadline))
	_, err := io.Copy(io.Discard, conn)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// dribble sends a request whose body then comes at one byte per tick until the connection fails.
func dribble(t *testing.T, addr, head string, tick time.Duration) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		tk := time.NewTicker(tick)
		defer tk.Stop()
		for range tk.C {
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	return conn
}

// TestSlowAndIdleConnectionsCut opens connections that send a body a byte at a time to the
// API and to a bucket, and one that stays idle after a request: the server closes each of them,
// while a 200 MB upload and a long video read, both taking longer than the limits, go through.
func TestSlowAndIdleConnectionsCut(t *testing.T) {
	l, base := startLocal(t, config{Limits: testLimits})
	addr := strings.TrimPrefix(base, "http://")
	host := "Host: " + addr + "\r\n"
	giveUp := 10 * testLimits.Read // far past every limit: a connection still open then is not cut

	t.Run("slow bodies", func(t *testing.T) {
		heads := map[string]string{
			"api": "POST /api/uploads HTTP/1.1\r\n" + host + "Authorization: Bearer " + signIn(t, l, base, "ann").token +
				"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
			"bucket": "POST /s3/" + uploadsBucket + "/ HTTP/1.1\r\n" + host +
				"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000000\r\n\r\n--b\r\n",
			"headers": "GET / HTTP/1.1\r\n" + host,
		}
		var wg sync.WaitGroup
		for name, head := range heads {
			for i := range 5 {
				conn := dribble(t, addr, head, 200*time.Millisecond)
				wg.Go(func() {
					if !closedBy(t, conn, giveUp) {
						t.Errorf("%s: slow connection %d still open after %v", name, i, giveUp)
					}
				})
			}
		}
		wg.Wait()
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /config.json HTTP/1.1\r\n"+host+"\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Close {
			t.Fatalf("first request: %s, close %v; want 200 on a kept-alive connection", res.Status, res.Close)
		}
		conn.SetReadDeadline(time.Now().Add(giveUp))
		if _, err := br.ReadByte(); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("idle connection still open after %v", giveUp)
		}
	})

	t.Run("large upload", func(t *testing.T) {
		const size = 200 << 20
		c := signIn(t, l, base, "bo")
		c.http.Timeout = 0
		up, err := upload(t.Context(), c, "big.mp4", "video/mp4", bytes.Repeat([]byte{0}, size))
		if err != nil {
			t.Fatalf("200 MB upload: %v", err)
		}
		if info, err := l.Uploads.Head(t.Context(), up.Key); err != nil || info.Size != size {
			t.Errorf("after the upload: %+v, %v", info, err)
		}
	})

	t.Run("long video read", func(t *testing.T) {
		const size = 64 << 20
		if _, err := storage.PutBytes(t.Context(), l.Media, "videos/long.mp4", bytes.Repeat([]byte{1}, size), nil); err != nil {
			t.Fatal(err)
		}
		u, err := l.Media.SignURL(t.Context(), "videos/long.mp4", &storage.SignOptions{Expiry: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		// A player reads as it plays: here 1 MiB every 100 ms, so the read lasts past the
		// write limit twice over.
		tk := time.NewTicker(testLimits.Write * 2 / (size >> 20))
		defer tk.Stop()
		var n int64
		for {
			m, err := io.CopyN(io.Discard, res.Body, 1<<20)
			n += m
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("the read was cut after %d bytes: %v", n, err)
			}
			<-tk.C
		}
		if n != size || res.StatusCode != http.StatusOK {
			t.Errorf("read %d of %d bytes, %s", n, size, res.Status)
		}
	})
}
