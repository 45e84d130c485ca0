//go:build !linux

package main

import "syscall"

// childAttr has nothing to add outside Linux, where the benchmark cannot read CPU time anyway.
func childAttr() *syscall.SysProcAttr { return nil }
