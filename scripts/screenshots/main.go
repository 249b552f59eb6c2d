// Command screenshots photographs the pages the README shows as the current
// look (home, a consultation, a proposal, search, the profile) at 320 and
// 1280 pixels, from a running server with the demo data
// (scripts/screenshots.sh starts one).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8099", "the server's base URL")
	out := flag.String("out", "web/screenshots", "where the PNGs go")
	email := flag.String("email", "buerger001@mitreden.example", "a demo citizen for the profile page")
	password := flag.String("password", "Demo-Buerger-2026!", "the citizen's password")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	flag.Parse()
	if err := run(*base, *out, *email, *password, *chromium); err != nil {
		log.Fatal(err)
	}
}

// query is a word of the demo data, so the search page shows results.
const query = "Glasfaser"

func run(base, out, email, password, chromium string) error {
	cons, prop, err := pick(base)
	if err != nil {
		return err
	}
	// The demo's search index is built in the background at start.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		var res struct{ Total int }
		if err := getJSON(base+"/api/v1/search?q="+url.QueryEscape(query), &res); err == nil && res.Total > 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the search index never found %q", query)
		}
	}
	pages := []struct{ name, path string }{
		{"home", "/"},
		{"consultation", "/consultations/" + cons},
		{"proposal", "/proposals/" + prop},
		{"search", "/search?q=" + url.QueryEscape(query)},
		{"profile", "/profile"},
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "de-DE"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SetValue(chromedp.CSS("#email"), email),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("main")),
	); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, width := range []int64{320, 1280} {
		for _, p := range pages {
			if err := chromedp.Do(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(base+p.path),
				chromedp.WaitVisible(chromedp.CSS("main")),
			); err != nil {
				return fmt.Errorf("%s at %d px: %w", p.name, width, err)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				return fmt.Errorf("%s at %d px: %w", p.name, width, err)
			}
			file := filepath.Join(out, fmt.Sprintf("%s-%d.png", p.name, width))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				return err
			}
			fmt.Println(file)
		}
	}
	return nil
}

// pick finds an open consultation and its most discussed proposal.
func pick(base string) (consultation, proposal string, err error) {
	var cons struct{ Items []struct{ ID string } }
	if err := getJSON(base+"/api/v1/consultations?phase=open&per_page=1", &cons); err != nil || len(cons.Items) == 0 {
		return "", "", fmt.Errorf("no open consultation: %v", err)
	}
	var props struct{ Items []struct{ ID string } }
	if err := getJSON(base+"/api/v1/consultations/"+cons.Items[0].ID+"/proposals?per_page=1&sort=commented", &props); err != nil || len(props.Items) == 0 {
		return "", "", fmt.Errorf("no proposal: %v", err)
	}
	return cons.Items[0].ID, props.Items[0].ID, nil
}

func getJSON(u string, v any) error {
	res, err := http.Get(u)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}
