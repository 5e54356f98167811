// Command stopper is the container of TestStopOnArgo's workflows: it shows
// how the real engine stops a step.
//
//	stopper sleep SECONDS     print "started", sleep, print "done"; on SIGTERM print "SIGTERM" and exit 143
//	stopper ignore SECONDS    print "started", ignore SIGTERM, sleep, print "done"
//	stopper echo TEXT CODE    print TEXT on stdout and "to stderr" on stderr, exit CODE
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
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: stopper sleep SECONDS | stopper echo TEXT CODE")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "sleep", "ignore":
		n, err := strconv.Atoi(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "stopper sleep:", err)
			os.Exit(2)
		}
		term := make(chan os.Signal, 1)
		if os.Args[1] == "ignore" {
			signal.Ignore(syscall.SIGTERM)
		} else {
			signal.Notify(term, syscall.SIGTERM)
		}
		fmt.Println("started")
		select {
		case <-term:
			fmt.Println("SIGTERM")
			os.Exit(143)
		case <-time.After(time.Duration(n) * time.Second):
			fmt.Println("done")
		}
	case "echo":
		code := 0
		if len(os.Args) > 3 {
			code, _ = strconv.Atoi(os.Args[3])
		}
		fmt.Println(os.Args[2])
		fmt.Fprintln(os.Stderr, "to stderr")
		os.Exit(code)
	default:
		fmt.Fprintln(os.Stderr, "stopper: unknown mode", os.Args[1])
		os.Exit(2)
	}
}
