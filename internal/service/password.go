package service

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/mitreden/mitreden/internal/mitreden"
)

// Argon2id parameters following OWASP's recommendation (19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length limits; no composition rules.
const (
	PasswordMin = 12
	PasswordMax = 128
)

//go:embed common-passwords.txt
var commonPasswordsTxt string

var commonPasswords = func() map[string]struct{} {
	m := map[string]struct{}{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsTxt))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = struct{}{}
		}
	}
	return m
}()

// HashPassword returns an encoded argon2id hash of pw with a random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the encoded hash, in constant time.
func VerifyPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 10 || p == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when an email is unknown, so that a login
// takes as long whether or not the account exists.
var dummyHash, _ = HashPassword("not-a-real-password-for-timing")

// CheckPassword applies the password policy: 12–128 characters, not a common
// password, not containing the email's local part or the display name.
func CheckPassword(pw, email, name string) *mitreden.FieldError {
	n := utf8.RuneCountInString(pw)
	if n < PasswordMin || n > PasswordMax {
		return &mitreden.FieldError{Field: "password", Code: "length", Message: "validation.password_length",
			Args: map[string]any{"min": PasswordMin, "max": PasswordMax}}
	}
	lower := strings.ToLower(pw)
	if _, ok := commonPasswords[lower]; ok || isTrivial(lower) {
		return &mitreden.FieldError{Field: "password", Code: "common", Message: "validation.password_common"}
	}
	local, _, _ := strings.Cut(mitreden.NormalizeEmail(email), "@")
	if len(local) >= 3 && strings.Contains(lower, local) {
		return &mitreden.FieldError{Field: "password", Code: "personal", Message: "validation.password_personal"}
	}
	if nm := strings.ToLower(strings.TrimSpace(name)); utf8.RuneCountInString(nm) >= 4 && strings.Contains(lower, nm) {
		return &mitreden.FieldError{Field: "password", Code: "personal", Message: "validation.password_personal"}
	}
	return nil
}

// isTrivial catches passwords made of one repeated character or a short
// repeated run (e.g. "abcabcabcabc"), which no list can enumerate.
func isTrivial(pw string) bool {
	r := []rune(pw)
	for period := 1; period <= 4 && period < len(r); period++ {
		same := true
		for i := period; i < len(r); i++ {
			if r[i] != r[i-period] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}
