package main

import "syscall"

// childAttr makes a child die with the benchmark, so that none is left serving after a crash
// or ^C.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
