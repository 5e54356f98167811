// Command probe is the container of the kubelet stand-in's test: it prints
// what a container sees (identity, PID, environment, files) and acts on
// its arguments:
//
//	probe write FILE TEXT | print FILE... | env NAME... | id | touch FILE | sleep SECONDS | ignore-term | exit CODE MESSAGE
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	for len(args) > 0 {
		switch args[0] {
		case "write":
			if err := os.WriteFile(args[1], []byte(args[2]), 0o644); err != nil {
				fmt.Println("write error:", err)
			}
			args = args[3:]
		case "print":
			b, err := os.ReadFile(args[1])
			fmt.Printf("file %s: %q %v\n", args[1], b, err)
			args = args[2:]
		case "env":
			fmt.Printf("env %s=%q\n", args[1], os.Getenv(args[1]))
			args = args[2:]
		case "id":
			groups, _ := os.Getgroups()
			fmt.Printf("id uid=%d gid=%d groups=%v pid=%d\n", os.Getuid(), os.Getgid(), groups, os.Getpid())
			args = args[1:]
		case "touch":
			f, err := os.Create(args[1])
			if err == nil {
				f.Close()
			}
			fmt.Printf("touch %s: %v\n", args[1], err)
			args = args[2:]
		case "ignore-term":
			signal.Ignore(syscall.SIGTERM)
			args = args[1:]
		case "sleep":
			n, _ := strconv.Atoi(args[1])
			time.Sleep(time.Duration(n) * time.Second)
			args = args[2:]
		case "exit":
			code, _ := strconv.Atoi(args[1])
			_ = os.WriteFile("/dev/termination-log", []byte(args[2]), 0o644)
			os.Exit(code)
		default:
			fmt.Println("unknown command", args[0])
			os.Exit(2)
		}
	}
}
