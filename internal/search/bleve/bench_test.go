package bleve_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/search/bleve"
)

// baseWords is German administration and digital vocabulary.
var baseWords = strings.Fields(`
Digitalisierung Verwaltung Bürgeramt Antrag Anträge Genehmigung Bebauungsplan
Stadtrat Gemeinderat Ausschuss Haushalt Haushaltsplan Förderung Fördermittel
Radweg Radwege Fahrradstraße Gehweg Bushaltestelle Straßenbahn Nahverkehr
Parkplatz Parkhaus Verkehrsberuhigung Tempolimit Lärmschutz Luftqualität
Klimaschutz Klimaanpassung Photovoltaik Solaranlage Wärmepumpe Fernwärme
Energiewende Stadtwerke Wasserversorgung Abwasser Müllabfuhr Wertstoffhof
Spielplatz Kita Kindergarten Grundschule Gymnasium Schulhof Sporthalle
Schwimmbad Bibliothek Stadtbibliothek Volkshochschule Museum Theater
Jugendzentrum Seniorenheim Pflege Barrierefreiheit Inklusion Integration
Wohnungsbau Sozialwohnungen Mietpreise Quartier Nachbarschaft Innenstadt
Marktplatz Fußgängerzone Einzelhandel Gewerbegebiet Wirtschaftsförderung
Breitband Glasfaser Mobilfunk WLAN Onlinezugang Bürgerportal Terminvergabe
Formular Formulare Datenschutz Transparenz Beteiligung Bürgerbeteiligung
Bürgerversammlung Ortsbeirat Bezirk Stadtteil Grünfläche Stadtpark Bäume
Baumschutz Begrünung Fassadenbegrünung Regenwasser Hochwasserschutz
Feuerwehr Rettungsdienst Sicherheit Beleuchtung Straßenbeleuchtung
Sanierung Modernisierung Neubau Abriss Denkmalschutz Friedhof Verwaltungsgebäude
Öffnungszeiten Wartezeit Personal Fachkräfte Ehrenamt Verein Vereine
Kultur Veranstaltung Stadtfest Wochenmarkt Tourismus Hotel Gastronomie
Smart City Sensoren Datenplattform OpenData Schnittstelle Software Server
Cloud Rechenzentrum Verschlüsselung Signatur Ausweis Meldebescheinigung
Führerschein Zulassung Kfz Gewerbeanmeldung Baugenehmigung Bauantrag
Grundsteuer Gebühren Abgaben Zuschuss Kosten Finanzierung Ausschreibung
Vergabe Auftrag Planung Umsetzung Zeitplan Evaluation Bericht Empfehlung
schnell einfach digital sicher transparent nachhaltig barrierefrei modern
dringend wichtig besser mehr weniger neue alte öffentliche städtische
fordern prüfen umsetzen verbessern ausbauen erneuern beantragen unterstützen
digitalisieren vereinfachen beschleunigen beteiligen informieren entlasten
`)

// compoundHeads and compoundTails combine into the compound nouns German
// contributions are full of ("Radwegplanung", "Schulsanierung"), so the
// dictionary has thousands of words, many of them close in spelling, as fuzzy
// matching meets it in a real index.
var (
	compoundHeads = strings.Fields(`
Stadt Bürger Verkehrs Rad Fahrrad Fuß Bus Bahn Park Bau Schul Kita Sport Spiel
Jugend Senioren Familien Kinder Eltern Wohn Miet Grün Baum Wasser Energie Strom
Wärme Klima Umwelt Lärm Müll Abfall Straßen Brücken Platz Markt Kultur Musik
Kunst Bibliothek Museums Theater Friedhofs Feuerwehr Polizei Rettungs Gesundheits
Pflege Sozial Integrations Haushalts Steuer Gebühren Förder Vergabe Planungs
Daten Software Netz Online Digital Service Termin Antrags Melde Verwaltungs
Rathaus Gemeinde Bezirks Quartiers Nachbarschafts Wirtschafts Gewerbe Handels
Tourismus Ehrenamts Vereins Beteiligungs Informations Sicherheits Hochwasser
Regen Solar Dach Fassaden Licht
`)
	compoundTails = strings.Fields(`
planung konzept antrag anträge förderung gebühr kosten verwaltung amt ausschuss
beirat satzung verordnung richtlinie programm projekt initiative netz netzes
angebot angebote ausbau sanierung erneuerung bau neubau umbau fläche flächen
gebäude anlage anlagen platz plätze weg wege straße zentrum haus heim schutz
sicherheit qualität kontrolle beratung stelle stellen leitung versorgung
entwicklung strategie bericht berichte daten portal plattform zugang termin
zeiten liste verfahren prüfung genehmigung nutzung management mittel
`)
)

// vocabulary is every word of the synthetic contributions, most frequent
// first: the base words, then the compounds, each shuffled.
var vocabulary = func() []string {
	r := rand.New(rand.NewPCG(3, 3))
	base := slices.Clone(baseWords)
	r.Shuffle(len(base), func(i, j int) { base[i], base[j] = base[j], base[i] })
	seen := map[string]bool{}
	for _, w := range base {
		seen[strings.ToLower(w)] = true
	}
	var compounds []string
	for _, h := range compoundHeads {
		for _, t := range compoundTails {
			if w := h + t; !seen[strings.ToLower(w)] {
				seen[strings.ToLower(w)] = true
				compounds = append(compounds, w)
			}
		}
	}
	r.Shuffle(len(compounds), func(i, j int) { compounds[i], compounds[j] = compounds[j], compounds[i] })
	return append(base, compounds...)
}()

// zipfOffset shifts the ranks of the Zipf-Mandelbrot distribution words are
// drawn with, p(rank) ∝ 1/(rank+zipfOffset): in real text the first ranks
// belong to stop words, which the synthetic text leaves out, so the most
// frequent content word makes about 0.4% of the words, not 10%.
const zipfOffset = 50

// vocabularyCDF is the cumulative distribution of vocabulary.
var vocabularyCDF = func() []float64 {
	cdf := make([]float64, len(vocabulary))
	sum := 0.0
	for i := range cdf {
		sum += 1 / float64(i+1+zipfOffset)
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	return cdf
}()

// word draws a word by its frequency in the synthetic text. Queries draw
// words the same way: frequent words are searched more often.
func word(r *rand.Rand) string {
	i, _ := slices.BinarySearch(vocabularyCDF, r.Float64())
	return vocabulary[min(i, len(vocabulary)-1)]
}

var (
	benchTypes    = []string{"comment", "comment", "comment", "comment", "proposal", "proposal", "proposal", "answer", "recommendation", "consultation"}
	benchStatuses = []string{"submitted", "in_review", "accepted", "rejected", "implemented"}
	benchRegions  = []string{"nord", "sued", "ost", "west", "mitte", "altstadt"}
	benchTopics   = []string{"verkehr", "digital", "umwelt", "bildung", "soziales", "wohnen", "kultur", "wirtschaft",
		"sicherheit", "gesundheit", "sport", "finanzen", "energie", "bauen", "verwaltung", "jugend"}
)

func sentence(r *rand.Rand, minWords, maxWords int) string {
	n := minWords + r.IntN(maxWords-minWords+1)
	words := make([]string, n)
	for i := range words {
		words[i] = word(r)
	}
	return strings.Join(words, " ")
}

// benchDocs yields n synthetic contributions, the same for the same n.
func benchDocs(n int, yield func(mitreden.SearchDoc) error) error {
	r := rand.New(rand.NewPCG(42, 1))
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		typ := benchTypes[r.IntN(len(benchTypes))]
		id := strconv.Itoa(i)
		d := mitreden.SearchDoc{
			ID: mitreden.SearchDocID(typ, id), Type: typ, ItemID: id,
			Title: sentence(r, 3, 8), Body: sentence(r, 20, 80), Lang: "de",
			ConsultationID: "c" + strconv.Itoa(r.IntN(300)),
			Region:         benchRegions[r.IntN(len(benchRegions))],
			Topics:         []string{benchTopics[r.IntN(len(benchTopics))], benchTopics[r.IntN(len(benchTopics))]},
			Visibility:     mitreden.VisibilityPublic,
			URL:            "/" + typ + "s/" + id,
			CreatedAt:      start.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))),
			Supports:       r.IntN(200),
		}
		if typ == "proposal" {
			d.Status = benchStatuses[r.IntN(len(benchStatuses))]
		}
		switch v := r.IntN(100); {
		case v < 3:
			d.Visibility = mitreden.VisibilityPending
		case v < 4:
			d.Visibility = mitreden.VisibilityHidden
		case v < 5:
			d.Visibility = mitreden.VisibilityCouncil
		}
		if err := yield(d); err != nil {
			return err
		}
	}
	return nil
}

var bench struct {
	once  sync.Once
	idx   *bleve.Index
	size  int
	rate  float64 // indexing docs/s, 0 when the index came from the cache
	build time.Duration
	err   error
}

// benchIndex opens, building once per size, the benchmark index under
// os.TempDir; later runs reuse it, so the three query benchmarks and repeated
// runs index only once.
func benchIndex(b *testing.B) *bleve.Index {
	b.Helper()
	bench.once.Do(func() {
		bench.size = 100_000
		if s := os.Getenv("MITREDEN_BENCH_DOCS"); s != "" {
			bench.size, bench.err = strconv.Atoi(s)
			if bench.err != nil {
				return
			}
		}
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("mitreden-bench-bleve-v3-%d", bench.size))
		ctx := context.Background()
		if bench.idx, bench.err = bleve.Open(dir); bench.err != nil {
			return
		}
		if n, err := bench.idx.Count(ctx); err == nil && n == bench.size {
			return
		}
		// Rebuild is how a full index is made (the reindex verb): batched
		// and merged into one segment at the end.
		start := time.Now()
		bench.err = bench.idx.Rebuild(ctx, func(yield func(mitreden.SearchDoc) error) error {
			return benchDocs(bench.size, yield)
		})
		bench.build = time.Since(start)
		bench.rate = float64(bench.size) / bench.build.Seconds()
	})
	if bench.err != nil {
		b.Fatalf("benchmark index: %v", bench.err)
	}
	if bench.rate > 0 {
		b.Logf("indexed %d docs in %v (%.0f docs/s)", bench.size, bench.build.Round(time.Second), bench.rate)
	}
	return bench.idx
}

// runQueries runs queries round robin and reports latency percentiles.
func runQueries(b *testing.B, queries []mitreden.SearchQuery) {
	x := benchIndex(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	hits := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		res, err := x.Search(ctx, queries[i%len(queries)])
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		hits += res.Total
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(float64(hits)/float64(len(lat)), "hits/op")
	b.ReportMetric(float64(bench.size), "docs")
}

func BenchmarkIndexing(b *testing.B) {
	benchIndex(b)
	if bench.rate == 0 {
		b.Skip("index reused from the cache under os.TempDir; delete it to measure indexing")
	}
	for b.Loop() {
	}
	b.ReportMetric(bench.rate, "docs/s")
	b.ReportMetric(float64(bench.size), "docs")
}

func BenchmarkTwoWords(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	qs := make([]mitreden.SearchQuery, 100)
	for i := range qs {
		a, b := word(r), word(r)
		for b == a {
			b = word(r)
		}
		qs[i] = mitreden.SearchQuery{Text: a + " " + b}
	}
	runQueries(b, qs)
}

func BenchmarkTypo(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 8))
	qs := make([]mitreden.SearchQuery, 100)
	for i := range qs {
		w := []rune(word(r))
		for len(w) < 9 {
			w = []rune(word(r))
		}
		w[1+r.IntN(len(w)-2)] = 'x'
		qs[i] = mitreden.SearchQuery{Text: string(w)}
	}
	runQueries(b, qs)
}

func BenchmarkFilterSortListing(b *testing.B) {
	qs := make([]mitreden.SearchQuery, 0, len(benchStatuses))
	for _, s := range benchStatuses {
		qs = append(qs, mitreden.SearchQuery{Types: []string{"proposal"}, Statuses: []string{s}, Sort: mitreden.SearchSortNewest})
	}
	runQueries(b, qs)
}
