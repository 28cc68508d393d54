package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// loopbackOnly refuses requests whose Host is not a loopback name or address. A server that
// listens on loopback alone can still be reached by a page on another site whose name its owner
// points at 127.0.0.1 (DNS rebinding): the browser sends that name as the Host, and would let the
// page read the answers, sign in locally as anyone and read every video. A page of this server
// names it localhost or by its loopback address, never otherwise.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			http.Error(w, "petu serves its local mode to localhost only; this request named "+
				fmt.Sprintf("%q", r.Host), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine's loopback: localhost, a name
// under .localhost (which resolves to loopback, RFC 6761), or a loopback address, with or
// without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// warnIfExposed tells, when the server listens on more than loopback, that whoever reaches it can
// sign in as anyone: the local sign-in issues a token for any name typed in, without a password.
func warnIfExposed(out io.Writer, a *net.TCPAddr) {
	if a.IP.IsLoopback() {
		return
	}
	fmt.Fprintf(out, `
WARNING: petu is listening on %s, not on loopback alone. Its local mode has no passwords: the
         local sign-in gives a token for any name typed in, so anyone who can reach this port can
         sign in as any user, watch and delete their videos, and upload. Serve it on a network
         you trust, or use -addr localhost:PORT.

`, a)
}
