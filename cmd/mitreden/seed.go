package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/mongo"
	"github.com/mitreden/mitreden/internal/service"
)

// Demo accounts and their published demo passwords.
var demoAccounts = []struct {
	email, name, password string
	role                  mitreden.Role
}{
	{"admin@mitreden.example", "Demo-Administration", "Rathaus-Schluessel-2026!", mitreden.RoleAdmin},
	{"moderation@mitreden.example", "Demo-Moderation", "Forum-Pflege-2026!", mitreden.RoleModerator},
	{"digitalrat@mitreden.example", "Demo-Digitalrat", "Beratung-Digital-2026!", mitreden.RoleCouncil},
	{"buergerservice@mitreden.example", "Demo-Bürgerservice", "Post-und-Telefon-2026!", mitreden.RoleService},
}

const demoCitizenPassword = "Demo-Buerger-2026!"

// seedDemo fills an empty store with the demo content. It does nothing when
// the demo admin exists already, so running it twice does not duplicate.
func seedDemo(ctx context.Context, e *env, out io.Writer) error {
	if _, err := e.accounts.FindUserByEmail(ctx, demoAccounts[0].email); err == nil {
		fmt.Fprintln(out, "demo content is present already; nothing to do")
		return nil
	} else if mitreden.ErrorCode(err) != mitreden.ENOTFOUND {
		return err
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(2026, 11))
	now := time.Now().UTC().Truncate(time.Second)
	var admin *mitreden.User
	for _, a := range demoAccounts {
		u, err := e.accounts.CreateUser(ctx, service.RegisterInput{Email: a.email, DisplayName: a.name, Password: a.password,
			Roles: []mitreden.Role{a.role}})
		if err != nil {
			return err
		}
		if a.role == mitreden.RoleAdmin {
			admin = u
		}
	}
	citizens, err := seedCitizens(ctx, e, "buerger", 200, demoCitizenPassword, now)
	if err != nil {
		return err
	}
	st := e.db.Participation()
	part := e.participation
	render := service.NewSeedRenderer()
	for _, dc := range demoConsultations {
		c := &mitreden.Consultation{Title: dc.title, Summary: dc.summary, Body: dc.body, Region: dc.region, Topics: dc.topics,
			VotingMode: dc.mode, MaxSupports: dc.maxSupports, SupportThreshold: dc.threshold, ProposalsEnabled: true, CommentsEnabled: true}
		switch dc.phase {
		case "open":
			c.OpensAt, c.ClosesAt = now.AddDate(0, 0, -14), now.AddDate(0, 0, 28)
		case "upcoming":
			c.OpensAt, c.ClosesAt = now.AddDate(0, 0, 10), now.AddDate(0, 0, 52)
		default:
			c.OpensAt, c.ClosesAt = now.AddDate(0, -3, 0), now.AddDate(0, 0, -14)
		}
		if err := part.CreateConsultation(ctx, admin, c); err != nil {
			return err
		}
		batch := mongo.SeedBatch{}
		comments := 0
		for i, title := range dc.proposals {
			author := citizens[rng.IntN(len(citizens))]
			created := c.OpensAt.Add(time.Duration(i*7+1) * time.Hour)
			p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: author.ID, AuthorName: author.DisplayName,
				Title: title, Body: demoBodies[i%len(demoBodies)] + "\n\n" + demoBodies[(i+2)%len(demoBodies)], Topics: dc.topics,
				Status: mitreden.StatusSubmitted, Rand: rng.Int64N(1 << 62), CreatedAt: created, UpdatedAt: created}
			// Votes from distinct citizens.
			nv := 5 + rng.IntN(40)
			for _, k := range rng.Perm(len(citizens))[:nv] {
				v := "support"
				if dc.mode == mitreden.VotingRating {
					v = []string{"yes", "yes", "yes", "no", "abstain"}[rng.IntN(5)]
				}
				if dc.maxSupports > 0 && rng.IntN(3) == 0 {
					continue // keep most citizens under their limit
				}
				batch.Votes = append(batch.Votes, mongo.SeedVote{ProposalID: p.ID, UserID: citizens[k].ID, ConsultationID: c.ID, Value: v})
				switch v {
				case "support":
					p.Tally.Support++
				case "yes":
					p.Tally.Yes++
				case "no":
					p.Tally.No++
				case "abstain":
					p.Tally.Abstain++
				}
			}
			nc := 5 + rng.IntN(7)
			var last *mitreden.Comment
			for j := 0; j < nc; j++ {
				a := citizens[rng.IntN(len(citizens))]
				cm := &mitreden.Comment{ID: mongo.NewSeedID(), TargetType: "proposal", TargetID: p.ID, ConsultationID: c.ID,
					AuthorID: a.ID, AuthorName: a.DisplayName, Body: demoComments[rng.IntN(len(demoComments))],
					Alignment: []string{"", "for", "against", "neutral", "for"}[rng.IntN(5)], Up: rng.IntN(8), Down: rng.IntN(3),
					CreatedAt: created.Add(time.Duration(j+1) * 97 * time.Minute)}
				if last != nil && last.Depth < mitreden.CommentMaxDepth && rng.IntN(3) == 0 {
					cm.ParentID, cm.Depth = last.ID, last.Depth+1
				}
				last = cm
				batch.Comments = append(batch.Comments, cm)
				countSeedComment(p, cm)
			}
			comments += nc
			if dc.phase == "closed" || dc.phase == "evaluated" {
				a := demoAnswers[i%len(demoAnswers)]
				p.Status, p.Answer, p.AnsweredByID, p.AnsweredBy = a.status, a.text, admin.ID, admin.DisplayName
				p.AnsweredAt = c.ClosesAt.Add(time.Duration(i+1) * 24 * time.Hour)
				p.ResponseSeconds = int64(p.AnsweredAt.Sub(p.CreatedAt).Seconds())
			}
			batch.Proposals = append(batch.Proposals, p)
		}
		renderBatch(render, &batch)
		if err := st.InsertSeed(ctx, batch); err != nil {
			return err
		}
		if err := st.IncConsultationCounts(ctx, c.ID, len(batch.Proposals), comments); err != nil {
			return err
		}
		if dc.results != "" {
			if _, err := part.PublishResults(ctx, admin, c.ID, dc.results); err != nil {
				return err
			}
		}
	}
	// Generated votes bypass the per-person quota; give them their quota now.
	if _, err := e.participation.RecountConsultations(ctx); err != nil {
		return err
	}
	if e.indexing != nil {
		if _, err := e.indexing.Reindex(ctx, nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "demo content created in %s: %d consultations, 200 citizens (password %s)\n",
		time.Since(start).Round(time.Millisecond), len(demoConsultations), demoCitizenPassword)
	fmt.Fprintln(out, "demo accounts:")
	for _, a := range demoAccounts {
		fmt.Fprintf(out, "  %-30s %-12s password: %s\n", a.email, a.role, a.password)
	}
	return nil
}

// seedCitizens creates n citizens sharing one password hash (hashing once
// keeps seeding fast); existing ones are looked up instead.
func seedCitizens(ctx context.Context, e *env, prefix string, n int, password string, now time.Time) ([]*mitreden.User, error) {
	hash, err := service.HashPassword(password)
	if err != nil {
		return nil, err
	}
	names := []string{"Anna", "Ben", "Clara", "Deniz", "Emil", "Fatma", "Georg", "Hanna", "Ilyas", "Jana", "Kai", "Lea", "Mehmet", "Nora", "Ole", "Paula"}
	users := make([]*mitreden.User, 0, n)
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("%s%03d@mitreden.example", prefix, i)
		u := &mitreden.User{Email: email, DisplayName: fmt.Sprintf("%s %c.", names[i%len(names)], 'A'+rune(i%26)),
			PasswordHash: hash, Language: "de", CreatedAt: now}
		if err := e.db.Users().CreateUser(ctx, u); err != nil {
			if mitreden.ErrorCode(err) != mitreden.ECONFLICT {
				return nil, err
			}
			existing, err := e.db.Users().FindUserByEmail(ctx, email)
			if mitreden.ErrorCode(err) == mitreden.ENOTFOUND {
				// The name is taken by another seeded set (names are
				// unique): this one carries its prefix.
				u.DisplayName = fmt.Sprintf("%s (%s)", u.DisplayName, prefix)
				err = e.db.Users().CreateUser(ctx, u)
				existing = u
			}
			if err != nil {
				return nil, err
			}
			u = existing
		}
		users = append(users, u)
	}
	return users, nil
}

// seedScale generates n proposals with about 10 comments and 20 votes each
// across 20 consultations, for benchmarks.
func seedScale(ctx context.Context, e *env, n int, out io.Writer) error {
	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	now := time.Now().UTC().Truncate(time.Second)
	admin := service.System
	voters, err := seedCitizens(ctx, e, "scale", 200, "Scale-Buerger-2026!", now)
	if err != nil {
		return err
	}
	st := e.db.Participation()
	var cons []*mitreden.Consultation
	for i := 0; i < 20; i++ {
		c := &mitreden.Consultation{Title: fmt.Sprintf("Skalierungstest %02d: %s und %s", i+1, scaleWords[i%len(scaleWords)], scaleWords[(i+5)%len(scaleWords)]),
			Summary: "Erzeugte Inhalte für Lasttests der Plattform.", Body: "Dieses Beteiligungsverfahren wurde für Messungen erzeugt.",
			Region: "Land Nordrhein-Westfalen", Topics: []string{scaleWords[i%len(scaleWords)]}, OpensAt: now.AddDate(0, 0, -7),
			ClosesAt: now.AddDate(1, 0, 0), VotingMode: mitreden.VotingSupport, ProposalsEnabled: true, CommentsEnabled: true, SupportThreshold: 15}
		if err := e.participation.CreateConsultation(ctx, admin, c); err != nil {
			return err
		}
		cons = append(cons, c)
	}
	render := service.NewSeedRenderer()
	bar := progressbar.NewOptions(n, progressbar.OptionSetWriter(out), progressbar.OptionSetDescription("proposals"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond))
	const batchSize = 250
	perCons := make([]int, len(cons))
	commentsPer := make([]int, len(cons))
	for done := 0; done < n; {
		batch := mongo.SeedBatch{}
		for k := 0; k < batchSize && done < n; k, done = k+1, done+1 {
			ci := done % len(cons)
			c := cons[ci]
			a := voters[rng.IntN(len(voters))]
			created := c.OpensAt.Add(time.Duration(done) * time.Second)
			words := fmt.Sprintf("%s %s", scaleWords[rng.IntN(len(scaleWords))], scaleWords[rng.IntN(len(scaleWords))])
			p := &mitreden.Proposal{ID: mongo.NewSeedID(), ConsultationID: c.ID, AuthorID: a.ID, AuthorName: a.DisplayName,
				Title: fmt.Sprintf("Vorschlag %d: %s verbessern", done+1, words), Body: demoBodies[done%len(demoBodies)],
				Topics: c.Topics, Status: mitreden.StatusSubmitted, Rand: rng.Int64N(1 << 62), CreatedAt: created, UpdatedAt: created}
			for _, vi := range rng.Perm(len(voters))[:20] {
				batch.Votes = append(batch.Votes, mongo.SeedVote{ProposalID: p.ID, UserID: voters[vi].ID, ConsultationID: c.ID, Value: "support"})
			}
			p.Tally.Support = 20
			for j := 0; j < 10; j++ {
				ca := voters[rng.IntN(len(voters))]
				batch.Comments = append(batch.Comments, &mitreden.Comment{ID: mongo.NewSeedID(), TargetType: "proposal", TargetID: p.ID,
					ConsultationID: c.ID, AuthorID: ca.ID, AuthorName: ca.DisplayName, Body: demoComments[rng.IntN(len(demoComments))],
					CreatedAt: created.Add(time.Duration(j+1) * time.Minute)})
			}
			p.CommentCount = 10
			perCons[ci]++
			commentsPer[ci] += 10
			batch.Proposals = append(batch.Proposals, p)
		}
		renderBatch(render, &batch)
		if err := st.InsertSeed(ctx, batch); err != nil {
			return err
		}
		_ = bar.Set(done)
	}
	_ = bar.Finish()
	fmt.Fprintln(out)
	for i, c := range cons {
		if err := st.IncConsultationCounts(ctx, c.ID, perCons[i], commentsPer[i]); err != nil {
			return err
		}
	}
	if e.indexing != nil {
		fmt.Fprintln(out, "indexing for search …")
		if _, err := e.indexing.Reindex(ctx, nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "generated %d proposals, %d comments, %d votes in %s\n", n, n*10, n*20, time.Since(start).Round(time.Second))
	return nil
}

// renderBatch renders the Markdown of generated content, which InsertSeed
// writes around the service, as the service renders what it writes.
func renderBatch(r *service.SeedRenderer, b *mongo.SeedBatch) {
	for _, p := range b.Proposals {
		r.Proposal(p)
	}
	for _, c := range b.Comments {
		r.Comment(c)
	}
}

// countSeedComment keeps a seeded proposal's comment counters in step with
// the comments seeded for it, as the counter writes of AddComment would.
func countSeedComment(p *mitreden.Proposal, cm *mitreden.Comment) {
	p.CommentCount++
	switch cm.Alignment {
	case "for":
		p.For++
	case "against":
		p.Against++
	case "neutral":
		p.Neutral++
	}
}
