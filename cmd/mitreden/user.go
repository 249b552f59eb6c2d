package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mitreden/mitreden/internal/mitreden"
	"github.com/mitreden/mitreden/internal/service"
)

// roleList collects repeated --role flags.
type roleList []mitreden.Role

func (r *roleList) String() string { return fmt.Sprint(*r) }

func (r *roleList) Set(v string) error {
	role, err := mitreden.ParseRole(v)
	if err != nil {
		return fmt.Errorf("unknown role %q (citizen, council, moderator, admin)", v)
	}
	*r = append(*r, role)
	return nil
}

func cmdUser(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"user needs a subcommand: create, grant, revoke, verify, list"}
	}
	sub := args[0]
	fs := newFlagSet("user "+sub, stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (MITREDEN_DATA_DIR)")
	email := fs.String("email", "", "email address")
	name := fs.String("name", "", "display name")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	var roles roleList
	fs.Var(&roles, "role", "role (repeatable): citizen, council, moderator, admin")
	rest := args[1:]
	if sub == "verify" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		// `user verify EMAIL`: the address may come first, before flags.
		*email, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return usageError{err.Error()}
	}
	if sub == "verify" && *email == "" && fs.NArg() == 1 {
		*email = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("user %s: unexpected argument %q", sub, fs.Arg(0))}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err.Error()}
	}
	switch sub {
	case "create":
		if *email == "" || *name == "" {
			return usageError{"user create needs --email and --name"}
		}
	case "grant", "revoke":
		if *email == "" || len(roles) != 1 {
			return usageError{"user " + sub + " needs --email and exactly one --role"}
		}
	case "verify":
		if *email == "" {
			return usageError{"user verify needs an email address: mitreden user verify EMAIL"}
		}
	case "list":
	default:
		return usageError{fmt.Sprintf("unknown user subcommand %q", sub)}
	}
	password := ""
	generated := false
	if sub == "create" {
		if *pwStdin {
			pw, err := readPassword(stdin)
			if err != nil {
				return err
			}
			password = pw
		} else {
			b := make([]byte, 15)
			_, _ = rand.Read(b)
			password = base64.RawURLEncoding.EncodeToString(b)
			generated = true
		}
	}
	e, err := open(ctx, cfg, newLogger(io.Discard, "error"))
	if err != nil {
		return err
	}
	defer e.close()
	switch sub {
	case "create":
		u, err := e.accounts.CreateUser(ctx, service.RegisterInput{Email: *email, DisplayName: *name, Password: password, Roles: roles})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s (%s) with roles %s\n", u.Email, u.ID, joinRoles(u.Roles))
		if generated {
			fmt.Fprintf(stdout, "password (shown once): %s\n", password)
		}
	case "grant", "revoke":
		u, err := e.accounts.FindUserByEmail(ctx, *email)
		if err != nil {
			return fmt.Errorf("no user with email %s", *email)
		}
		u, err = e.accounts.SetRole(ctx, service.System, u.ID, roles[0], sub == "grant")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s now has roles %s\n", u.Email, joinRoles(u.Roles))
	case "verify":
		// For people whose verification mail never arrives.
		u, err := e.accounts.FindUserByEmail(ctx, *email)
		if err != nil {
			return fmt.Errorf("no user with email %s", *email)
		}
		if !u.Unverified {
			fmt.Fprintf(stdout, "%s was already verified\n", u.Email)
			return nil
		}
		if u, err = e.accounts.MarkVerified(ctx, service.System, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is now verified\n", u.Email)
	case "list":
		f := mitreden.UserFilter{PerPage: 100}
		if len(roles) > 0 {
			f.Role = roles[0]
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLES")
		for page := 1; ; page++ {
			f.Page = page
			users, total, err := e.accounts.ListUsers(ctx, service.System, f)
			if err != nil {
				return err
			}
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.ID, u.Email, u.DisplayName, joinRoles(u.Roles))
			}
			if page*f.PerPage >= total {
				break
			}
		}
		return tw.Flush()
	}
	return nil
}

func joinRoles(rs []mitreden.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}
