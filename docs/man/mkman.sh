#!/bin/sh
# Write the manual page of dfuscope or of one of its commands with help2man,
# from the program's own --help (docs/CMakeLists.txt runs it at build time):
#   mkman.sh HELP2MAN DFUSCOPE COMMAND|- INCLUDE OUT
# NAME comes from the command's line in `dfuscope --help` (the table in
# cli/main.c), the rest from `dfuscope COMMAND --help`: SYNOPSIS from its
# Usage lines, DESCRIPTION and OPTIONS, and EXIT STATUS from its last
# paragraph, which starts with "Exit status:". INCLUDE (docs/man/*.h2m)
# adds the sections --help has no room for: EXAMPLES, FILES, ENVIRONMENT,
# SEE ALSO.
#
#   mkman.sh --help-text DFUSCOPE COMMAND|- --help
# is what help2man runs: the --help text, with the "Exit status:" paragraph
# marked as help2man's custom section *Exit status*.
set -eu

if [ "${1:-}" = --help-text ]; then
    dfuscope=$2 command=$3
    if [ "$command" = - ]; then
        text=$("$dfuscope" --help)
    else
        text=$("$dfuscope" "$command" --help)
    fi
    printf '%s\n' "$text" | awk '
        /^Exit status:/ {
            sub(/^Exit status: */, "")
            print ""
            print "*Exit status*"
            if (length($0)) print
            next
        }
        { print }'
    exit 0
fi

[ $# -eq 5 ] || { echo "usage: mkman.sh HELP2MAN DFUSCOPE COMMAND|- INCLUDE OUT" >&2; exit 2; }
help2man=$1 dfuscope=$2 command=$3 include=$4 out=$5

version=$("$dfuscope" --version | awk '{ print $2; exit }')
[ -n "$version" ] || { echo "mkman.sh: $dfuscope --version says no version" >&2; exit 1; }
if [ "$command" = - ]; then
    page=dfuscope
    # the description paragraph of `dfuscope --help`, on one line
    name=$("$dfuscope" --help | awk 'NR > 2 && /^$/ { exit } NR > 2 { printf "%s%s", sep, $0; sep = " " }')
else
    page=dfuscope-$command
    name=$("$dfuscope" --help | awk -v c="$command" '$1 == c { $1 = ""; sub(/^ +/, ""); print; exit }')
fi
name=${name%.}
[ -n "$name" ] || { echo "mkman.sh: '$command' is not in the command list of dfuscope --help" >&2; exit 1; }

# help2man runs "$prog $option" through the shell: quote the paths
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
"$help2man" --no-info --section=1 --source="dfuscope $version" --manual="dfuscope manual" \
    --version-string="$page $version" --name="$name" --include="$include" \
    --help-option=--help --output="$out.tmp" \
    "sh $(q "$0") --help-text $(q "$dfuscope") $(q "$command")"
mv "$out.tmp" "$out"
