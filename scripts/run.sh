#!/bin/sh
# `make run`'s last step: run the given command (honcho: web + worker from the Procfile) and
# treat Ctrl-C as the clean stop it is. On SIGINT / SIGTERM honcho stops both processes and
# exits 130 / 143; that is what the user asked for, so this exits 0 and make reports no error.
# Any other status (a process failed or could not start) is passed on for make to report.
#
# The trap keeps this shell alive through the signal (it reaches the whole process group) so it
# can wait for honcho to finish stopping; commands run from here get the default handling back.
trap : INT TERM
"$@"
status=$?
case $status in
130 | 143)
    echo "Stopped web and worker."
    exit 0
    ;;
*)
    exit "$status"
    ;;
esac
