// Command probe is the test container of hack/argo-local: the kubelet
// stand-in's tests and the e2e stop tests (TestStopOnArgo) run it as a pod's
// container. It prints what a container sees (identity, PID, environment,
// files) and acts on its arguments, in order:
//
//	probe write FILE TEXT | print FILE... | env NAME... | id | touch FILE | sleep SECONDS | ignore-term |
//	      exit CODE MESSAGE | say TEXT | warn TEXT | code CODE | on-term | kill SIGNAL PID
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
		case "say": // a line on stdout
			fmt.Println(args[1])
			args = args[2:]
		case "warn": // a line on stderr
			fmt.Fprintln(os.Stderr, args[1])
			args = args[2:]
		case "code": // exit with CODE, no termination message
			code, _ := strconv.Atoi(args[1])
			os.Exit(code)
		case "on-term": // on SIGTERM print "terminated" and exit 143 (as PID 1 needs a handler)
			c := make(chan os.Signal, 1)
			signal.Notify(c, syscall.SIGTERM)
			go func() {
				<-c
				fmt.Println("terminated")
				os.Exit(143)
			}()
			args = args[1:]
		case "kill":
			sig, _ := strconv.Atoi(args[1])
			pid, _ := strconv.Atoi(args[2])
			fmt.Printf("kill %d %d: %v\n", sig, pid, syscall.Kill(pid, syscall.Signal(sig)))
			args = args[3:]
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
