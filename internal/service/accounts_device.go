package service

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Device tokens follow OWASP's "Slow Down Online Guessing Attacks with
// Device Cookies": a browser (or API client) that logged in to an account
// gets a token naming the account, signed with the server's secret. A
// login that presents a valid token for the account it logs in to is
// counted against that device's own small allowance instead of the
// account's, so failures from elsewhere that exhaust the account's
// allowance do not lock out the owner's known browser.

// deviceTokenVersion prefixes every token, so the format can change.
const deviceTokenVersion = "d1"

// newDeviceToken issues a device token for userID: version, account,
// random device id and issue time, then the HMAC of all of it.
func (a *Accounts) newDeviceToken(userID string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	payload := deviceTokenVersion + "." + userID + "." + base64.RawURLEncoding.EncodeToString(b) + "." +
		strconv.FormatInt(a.now().Unix(), 10)
	return payload + "." + a.deviceMAC(payload)
}

// deviceMAC signs payload with the device key.
func (a *Accounts) deviceMAC(payload string) string {
	m := hmac.New(sha256.New, a.deviceKey)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkDeviceToken returns the account and device id of a valid, unexpired
// token ("" for anything else).
func (a *Accounts) checkDeviceToken(token string) (userID, deviceID string) {
	if token == "" || len(token) > 300 {
		return "", ""
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", ""
	}
	payload, mac := token[:i], token[i+1:]
	if !hmac.Equal([]byte(mac), []byte(a.deviceMAC(payload))) {
		return "", ""
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 4 || parts[0] != deviceTokenVersion {
		return "", ""
	}
	issued, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || a.now().Sub(time.Unix(issued, 0)) > a.cfg.DeviceTokenAge {
		return "", ""
	}
	return parts[1], parts[2]
}

// DeviceTokenAge is how long a device token stays valid: its cookie lives
// as long.
func (a *Accounts) DeviceTokenAge() time.Duration { return a.cfg.DeviceTokenAge }

// deriveDeviceKey makes the HMAC key of device tokens from the server
// secret, so the secret's other uses never sign the same bytes. Without a
// secret the key is random: tokens then last until the process ends.
func deriveDeviceKey(secret []byte) []byte {
	if len(secret) == 0 {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return k
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("mitreden device cookie"))
	return m.Sum(nil)
}

// SetDeviceSecret signs device tokens with a key derived from the server
// secret from now on, so they stay valid across restarts.
func (a *Accounts) SetDeviceSecret(secret []byte) { a.deviceKey = deriveDeviceKey(secret) }
