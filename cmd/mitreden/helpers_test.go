package main

import "github.com/mitreden/mitreden/internal/service"

func loginIn(email, pw string) service.LoginInput {
	return service.LoginInput{Email: email, Password: pw}
}
