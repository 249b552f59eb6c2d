package http

// VerifyNote tells whether the page shows the logged-in person that their
// address waits for confirmation, with a button for a new link.
func (p *Page) VerifyNote() bool { return p.User != nil && p.User.Unverified }
