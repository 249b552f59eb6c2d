package service_test

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mitreden/mitreden/internal/service"
)

// runes returns the first n runes of a varied text with umlauts, so that the
// byte length is well above the rune count and no other rule than the length
// can reject it.
func runes(t testing.TB, n int) string {
	t.Helper()
	const base = "Bären, Öl und Füße am Weiher; "
	r := []rune(strings.Repeat(base, n/utf8.RuneCountInString(base)+1))[:n]
	s := string(r)
	if utf8.RuneCountInString(s) != n || (n > 0 && len(s) <= n) {
		t.Fatalf("runes(%d): %d runes, %d bytes", n, utf8.RuneCountInString(s), len(s))
	}
	return s
}

func policyCode(pw, email, name string) string {
	if fe := service.CheckPassword(pw, email, name); fe != nil {
		return fe.Code
	}
	return ""
}

func TestPassword_LengthCountsRunes(t *testing.T) {
	const email, name = "maria.schmidt@example.org", "Maria Schmidt"
	for _, tc := range []struct {
		n    int
		code string
	}{
		{0, "length"},
		{11, "length"},
		{12, ""},
		{13, ""},
		{127, ""},
		{128, ""},
		{129, "length"},
		{1000, "length"},
	} {
		pw := runes(t, tc.n)
		if got := policyCode(pw, email, name); got != tc.code {
			t.Errorf("%d runes (%d bytes): code %q, want %q", tc.n, len(pw), got, tc.code)
		}
	}
	// Eleven umlauts are 22 bytes but still eleven characters.
	if got := policyCode("äöüÄÖÜßäöüÄ", email, name); got != "length" {
		t.Errorf("11 umlauts: code %q, want length", got)
	}
	fe := service.CheckPassword(runes(t, 11), email, name)
	if fe == nil || fe.Field != "password" || fe.Message != "validation.password_length" ||
		fe.Args["min"] != service.PasswordMin || fe.Args["max"] != service.PasswordMax {
		t.Fatalf("length error = %+v", fe)
	}
	if service.PasswordMin != 12 || service.PasswordMax != 128 {
		t.Fatalf("limits %d..%d, want 12..128", service.PasswordMin, service.PasswordMax)
	}
}

func TestPassword_CommonAndRepeatedRejected(t *testing.T) {
	for _, pw := range []string{
		"passwort1234", "PASSWORT1234", "PassWort1234", "qwertz123456", "QWERTZ123456", "1qaz2wsx3edc",
		"passwortpasswort", "123456789012",
		// repeated runs no list enumerates
		"abcabcabcabc", "ABCabcABCabc", "aaaaaaaaaaaa", "abababababab", "1234123412341234",
		"ääääääääääääää", "xyz!xyz!xyz!xyz!",
	} {
		fe := service.CheckPassword(pw, "someone@example.org", "Someone")
		if fe == nil || fe.Code != "common" || fe.Field != "password" || fe.Message != "validation.password_common" {
			t.Errorf("CheckPassword(%q) = %+v, want common", pw, fe)
		}
	}
}

func TestPassword_PersonalDataRejected(t *testing.T) {
	const email, name = "Maria.Schmidt@Example.org", "Maria Schmidt"
	for _, pw := range []string{
		"maria.schmidt-1990",
		"ich bin MARIA.SCHMIDT!",
		"hallo maria schmidt 42",
		"MARIA SCHMIDTs Garten",
	} {
		fe := service.CheckPassword(pw, email, name)
		if fe == nil || fe.Code != "personal" || fe.Message != "validation.password_personal" {
			t.Errorf("CheckPassword(%q) = %+v, want personal", pw, fe)
		}
	}
	// The same passwords are fine for somebody else.
	if got := policyCode("hallo maria schmidt 42", "otto@example.org", "Otto"); got != "" {
		t.Errorf("someone else's name: code %q", got)
	}
}

func TestPassword_NoCompositionRules(t *testing.T) {
	for _, pw := range []string{
		"nur kleine buchstaben und leerzeichen",
		"correct horse battery staple",
		"zwölf zeiche",
		"ALLES GROSS GESCHRIEBEN",
		"839201746352",
	} {
		if fe := service.CheckPassword(pw, "maria@example.org", "Maria"); fe != nil {
			t.Errorf("CheckPassword(%q) = %+v, want accepted", pw, fe)
		}
	}
}

func TestPassword_HashVerifyRoundTrip(t *testing.T) {
	const pw = "Lindenblüten im Juni"
	h1, err := service.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := service.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h1, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || !strings.HasPrefix(parts[3], "m=") {
		t.Fatalf("hash %q is not an encoded argon2id hash", h1)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 16 {
		t.Fatalf("salt %q: %d bytes, %v", parts[4], len(salt), err)
	}
	if h1 == h2 || parts[4] == strings.Split(h2, "$")[4] {
		t.Fatalf("two hashes of one password share a salt: %q %q", h1, h2)
	}
	if strings.Contains(h1, pw) {
		t.Fatal("hash contains the password")
	}
	for _, h := range []string{h1, h2} {
		if !service.VerifyPassword(h, pw) {
			t.Fatalf("VerifyPassword(%q, right) = false", h)
		}
	}
	for _, wrong := range []string{"", pw + " ", "lindenblüten im juni", pw[:len(pw)-1], "Lindenbluten im Juni"} {
		if service.VerifyPassword(h1, wrong) {
			t.Errorf("VerifyPassword(hash, %q) = true", wrong)
		}
	}
}

func TestPassword_MalformedHashesAreFalse(t *testing.T) {
	const pw = "Lindenblüten im Juni"
	good, _ := service.HashPassword(pw)
	parts := strings.Split(good, "$")
	swap := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for _, bad := range []string{
		"", "plain", pw, "$", "$$$$$", "$argon2id$", "$argon2id$v=19$m=0,t=0,p=0$$",
		"$argon2i$" + strings.Join(parts[2:], "$"),
		"$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", // bcrypt
		swap(3, "m=0,t=2,p=1"), swap(3, "m=19456,t=0,p=1"), swap(3, "m=19456,t=2,p=0"),
		swap(3, "m=99999999,t=1,p=1"), swap(3, "m=19456,t=99,p=1"), swap(3, "m=19456,t=2,p=999"),
		swap(3, "m=-1,t=2,p=1"), swap(3, "x"), swap(3, ""),
		swap(4, "!!!not base64!!!"), swap(5, "!!!"), swap(5, ""),
		good + "$extra", good[:len(good)-4],
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("VerifyPassword(%q) panicked: %v", bad, r)
				}
			}()
			if service.VerifyPassword(bad, pw) {
				t.Errorf("VerifyPassword(%q) = true", bad)
			}
		}()
	}
}

// bigParams matches argon2 parameters a fuzzer may make expensive.
var bigParams = regexp.MustCompile(`[mt]=\+?0*(\d+)`)

func FuzzVerifyPassword(f *testing.F) {
	h, _ := service.HashPassword("seed password 1")
	f.Add(h, "seed password 1")
	f.Add(h, "seed password 2")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$", "")
	f.Add("$argon2id$v=19$m=8,t=1,p=255$AAAA$AAAA", "x")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$", "x")
	f.Add("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "pw")
	f.Add("$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "pw")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		// Keep each run cheap: stored hashes are ours, the property under test
		// is "no panic, no true for garbage", not argon2's cost.
		for _, m := range bigParams.FindAllStringSubmatch(hash, -1) {
			if n, err := strconv.Atoi(m[1]); err != nil || n > 32*1024 {
				t.Skip()
			}
		}
		if len(hash) > 512 {
			t.Skip()
		}
		ok := service.VerifyPassword(hash, pw)
		if ok && !strings.HasPrefix(hash, "$argon2id$") {
			t.Fatalf("VerifyPassword(%q, %q) = true for a non-argon2id hash", hash, pw)
		}
	})
}

func FuzzCheckPassword(f *testing.F) {
	f.Add("nur kleine buchstaben und leerzeichen", "maria@example.org", "Maria")
	f.Add("abcabcabcabc", "a@b.de", "Al")
	f.Add("PASSWORT1234", "x@y.de", "Xaver")
	f.Add("maria.schmidt-1990", "Maria.Schmidt@example.org", "Maria Schmidt")
	f.Add("äöüÄÖÜßäöüÄ", "", "")
	f.Add("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", "@", " ")
	f.Fuzz(func(t *testing.T, pw, email, name string) {
		fe := service.CheckPassword(pw, email, name)
		n := utf8.RuneCountInString(pw)
		if fe == nil && (n < service.PasswordMin || n > service.PasswordMax) {
			t.Fatalf("accepted %d runes: %q", n, pw)
		}
		// Case never matters: the common and personal rules compare lower-cased.
		if lower := strings.ToLower(pw); utf8.RuneCountInString(lower) == n {
			if lfe := service.CheckPassword(lower, email, name); (lfe == nil) != (fe == nil) {
				t.Fatalf("CheckPassword(%q) = %+v but CheckPassword(%q) = %+v", pw, fe, lower, lfe)
			}
		}
		if fe == nil {
			return
		}
		if fe.Field != "password" || fe.Code == "" || !strings.HasPrefix(fe.Message, "validation.") {
			t.Fatalf("field error %+v", fe)
		}
		if (n < service.PasswordMin || n > service.PasswordMax) != (fe.Code == "length") {
			t.Fatalf("%d runes gave code %q", n, fe.Code)
		}
	})
}
