#!/bin/sh
# Generates configure and Makefile.in from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf -fi
# The TAP driver for the unit tests is not installed by autoreconf.
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/
cp -f "$(automake --print-libdir)/test-driver" build-aux/
