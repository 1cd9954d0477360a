#!/usr/bin/env bash
# The bash completion (completions/dfuscope.bash) in bash, with the
# bash-completion framework it is written for: COMP_WORDS, COMP_CWORD,
# COMP_LINE and COMP_POINT are set as bash sets them for a command line,
# _dfuscope runs, and COMPREPLY is compared with what it must offer. The
# lists come from the dfuscope under test (its directory first in PATH).
#
# usage: completion_bash.sh SOURCE_DIR DFUSCOPE
set -u
src=$1
dfuscope=$2
framework=/usr/share/bash-completion/bash_completion
if [[ ! -r $framework ]]; then
    echo "FAIL: $framework is missing (apt-get install bash-completion)"
    exit 1
fi
# shellcheck source=/dev/null
source "$framework"
# shellcheck source=../../completions/dfuscope.bash
source "$src/completions/dfuscope.bash"
PATH=$(dirname "$dfuscope"):$PATH

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/files"
cd "$tmp/files" || exit 1
touch cap.pcap other.pcapng
mkdir sub

failures=0

# run_completion WORD...: complete the last WORD (empty: a new word) of the
# command line made of the WORDs, as bash splits it (each "=" a word of its
# own, as COMP_WORDBREAKS makes it); COMPREPLY is left sorted in got.
run_completion() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=
    local w prev=
    for w in "${COMP_WORDS[@]}"; do
        # no space around "=" between an option and its value
        if [[ -n $COMP_LINE && $w != = && $prev != = ]]; then
            COMP_LINE+=" "
        fi
        COMP_LINE+=$w
        prev=$w
    done
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    # (outside a real completion, compopt says so: the only message allowed)
    _dfuscope dfuscope "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" \
        2>"$tmp/stderr"
    if grep -v "compopt: not currently executing completion function" "$tmp/stderr"; then
        echo "FAIL: '$*': the messages above"
        failures=$((failures + 1))
    fi
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ')
    got=${got% }
}

# expect "WANT" WORD...: COMPREPLY is exactly WANT (sorted, space separated)
expect() {
    local want=$1
    shift
    run_completion "$@"
    if [[ $got != "$want" ]]; then
        echo "FAIL: '$*': got '$got', expected '$want'"
        failures=$((failures + 1))
    fi
}

# expect_has "WORD..." WORD...: COMPREPLY holds each of the first argument's words
expect_has() {
    local want=$1 x
    shift
    run_completion "$@"
    for x in $want; do
        if [[ " $got " != *" $x "* ]]; then
            echo "FAIL: '$*': '$x' missing from '$got'"
            failures=$((failures + 1))
        fi
    done
}

commands="capture check-file decode descriptors diagnose emulate extract follow quirks report run script-from wireshark-install"
models="atmel-flip dfu11-device dfuse-device esp32s2-rom gd32vf103-bootloader st-middleware-dfu stm32g0c1-bootloader stm32l4-bootloader tinyusb-dfu zephyr-mcuboot"

# commands and the program's own options
expect "$commands" dfuscope ""
expect "diagnose" dfuscope di
expect "decode descriptors" dfuscope de
expect "--complete --help --version" dfuscope --
expect "" dfuscope frobnicate --

# each command's options, from its parser's table
expect "--color --colour --device --help --json --max-devices --max-payload --max-urbs --quiet" \
    dfuscope diagnose --
expect "--device --dfu --help --json --max-devices --max-payload --max-urbs --quiet --urbs" \
    dfuscope decode --
expect "--all-docs --device --docs-base --help --max-payload --max-urbs --output --quiet" \
    dfuscope report --
expect "--dir" dfuscope wireshark-install --d
expect "--allow-erase --allow-option-bytes --allow-otp --allow-timing-abuse --allow-unprotect --allow-vendor-request --allow-write" \
    dfuscope run --allow
expect "--alt --device --direction --fill --format --help --max-image --output --quiet --unpack -h -o -q" \
    dfuscope extract -

# option values: words, files, directories, nothing for free text
expect "always auto never" dfuscope diagnose --color ""
expect "always auto" dfuscope diagnose --color = a
expect "never" dfuscope capture --color n
expect "bin dfu dfuse ihex srec" dfuscope extract --format ""
expect "download upload" dfuscope extract --direction ""
expect "" dfuscope decode --device ""
expect "" dfuscope run --timeout 5
expect "cap.pcap" dfuscope report -o c
expect "sub" dfuscope report --output s
expect "cap.pcap" dfuscope capture -w c
expect "sub" dfuscope wireshark-install --dir ""
expect "sub" dfuscope wireshark-install --dir = ""

# suite names for run --suite, one or a comma-separated list
expect "all descriptors dfu11 dfuse" dfuscope run --suite ""
expect "dfu11 dfuse" dfuscope run --suite dfu
expect "dfu11,descriptors dfu11,dfuse" dfuscope run --suite dfu11,d
expect "descriptors,dfu11,dfuse" dfuscope run --suite descriptors,dfu11,d

# operands: a capture or script file, or emulate's model
expect "cap.pcap" dfuscope diagnose c
expect "cap.pcap other.pcapng sub" dfuscope decode --dfu ""
expect "cap.pcap" dfuscope run --suite dfu11 --json c
expect "$models" dfuscope emulate ""
expect "st-middleware-dfu stm32g0c1-bootloader stm32l4-bootloader" dfuscope emulate st
expect "$models" dfuscope emulate --pcap x.pcap ""
expect "" dfuscope emulate dfu11-device ""
expect "-- --address --bus --device --from-capture --help --link-type --list --names --option --pcap --strict --trace" \
    dfuscope emulate dfu11-device --pcap x.pcap --
# --from-capture takes a capture file
expect "cap.pcap" dfuscope emulate --from-capture c
# the capture formats for --link-type
expect "usb2 usbmon usbpcap" dfuscope emulate dfu11-device --pcap x.pcap --link-type usb
expect "darwin" dfuscope emulate dfu11-device --pcap x.pcap --link-type d

# the model's option names for --option (NAME=), from the model on the line
expect "image-size=" dfuscope emulate dfu11-device --option im
expect "image-size=" dfuscope emulate dfu11-device -o im
expect "ob-write=" dfuscope emulate --pcap x.pcap stm32g0c1-bootloader --option ob-
expect "ob-write=" dfuscope emulate --trace stm32g0c1-bootloader --option=ob-
expect_has "serial= flash= ob-write= reset-ms= zero-poll-timeout=" \
    dfuscope emulate stm32g0c1-bootloader --option ""
expect "" dfuscope emulate --option ""

# after "--": the command's own completion
expect_has "dfuscope" dfuscope emulate dfu11-device -- dfuscop
expect "diagnose" dfuscope emulate dfu11-device -- dfuscope di
expect "--suite" dfuscope emulate dfu11-device -- dfuscope run --su

# the completion is what `complete` uses for dfuscope
spec=$(complete -p dfuscope 2>/dev/null)
if [[ $spec != "complete -F _dfuscope dfuscope" ]]; then
    echo "FAIL: complete -p dfuscope: '$spec'"
    failures=$((failures + 1))
fi

if ((failures)); then
    echo "$failures failures"
    exit 1
fi
echo ok
