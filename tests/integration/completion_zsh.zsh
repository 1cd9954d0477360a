#!/usr/bin/env zsh
# The zsh completion (completions/_dfuscope) in an interactive zsh on a
# pseudo-terminal (zsh/zpty): compinit finds _dfuscope in fpath, each
# command line is typed followed by TAB (bound to the completion, which then
# prints a marker the test waits for before typing on), and what the
# completion system offers is recorded by a compadd that writes its matches
# (builtin compadd -O: after matching against what was typed) to a file
# before adding them.
# The real _dfuscope, _arguments, _files and _normal run; the lists come
# from the dfuscope under test (its directory first in PATH).
#
# usage: zsh -f completion_zsh.zsh SOURCE_DIR DFUSCOPE
emulate -R zsh
setopt no_unset
src=$1 dfuscope=$2
zmodload zsh/zpty

tmp=$(mktemp -d)
trap 'zpty -d z 2>/dev/null; rm -rf $tmp' EXIT
mkdir $tmp/files
touch $tmp/files/cap.pcap $tmp/files/other.pcapng
mkdir $tmp/files/sub

cat >$tmp/rc <<EOF
PS1='%% '
RPS1=
unsetopt auto_list auto_menu list_beep beep
LISTMAX=100000
fpath=(${(q)src}/completions \$fpath)
path=(${(q)dfuscope:h} \$path)
autoload -Uz compinit
compinit -u -D
# record the matches, then add them as usual
compadd() {
  local -a __m
  local __end=\${@[(i)(-|--)]}
  if [[ \${(j: :)@[1,__end-1]} == *-[OAD]* ]]; then
    builtin compadd "\$@"
    return
  fi
  builtin compadd -O __m "\$@"
  (( \$#__m )) && print -rl -- \$__m >>${(q)tmp}/matches
  builtin compadd "\$@"
}
# TAB completes, then says on the terminal that it has finished (keys
# typed while it runs could cut it short)
zle -C __dfs_complete complete-word _main_complete
integer __dfs_n=0
__dfs_tab() {
  zle __dfs_complete
  __dfs_n+=1
  print -n -- "<CDONE\${__dfs_n}>"
}
zle -N __dfs_tab
bindkey '^I' __dfs_tab
cd ${(q)tmp}/files
EOF

zpty -b z zsh -f -i
# wait for the shell: until a marker it prints (not its echo) comes back
sync_shell() {
  local out= chunk
  zpty -w z "print -r -- SYNC''$1END"
  while [[ $out != *SYNC$1END* ]]; do
    zpty -r z chunk || true
    out+=$chunk
  done
}
zpty -w z "source ${(q)tmp}/rc"
sync_shell 0

failures=0
integer n=0
typeset -a got

# run_completion LINE: type LINE, then TAB; got: the matches offered, sorted, unique
run_completion() {
  : >$tmp/matches
  zpty -w -n z "$1"$'\t'
  n+=1
  local out= chunk
  while [[ $out != *"<CDONE$n>"* ]]; do
    zpty -r z chunk || true
    out+=$chunk
  done
  got=(${(ou)${(f)"$(<$tmp/matches)"}})
  # an empty line for the next one
  zpty -w -n z $'\C-e\C-u'
}

# expect "WANT" LINE: exactly these matches
expect() {
  run_completion "$2"
  if [[ "${(j: :)got}" != "$1" ]]; then
    print -r -- "FAIL: '$2<TAB>': got '${(j: :)got}', expected '$1'"
    (( failures++ ))
  fi
}

# expect_has "WORD..." LINE: these among the matches
expect_has() {
  run_completion "$2"
  local x
  for x in ${=1}; do
    if (( ! ${got[(Ie)$x]} )); then
      print -r -- "FAIL: '$2<TAB>': '$x' missing from '${(j: :)got}'"
      (( failures++ ))
    fi
  done
}

all_commands="capture check-file decode descriptors diagnose emulate extract follow quirks report run script-from wireshark-install"
all_models="atmel-flip dfu11-device dfuse-device esp32s2-rom gd32vf103-bootloader st-middleware-dfu stm32g0c1-bootloader stm32l4-bootloader tinyusb-dfu zephyr-mcuboot"

# commands and the program's own options
expect "$all_commands" "dfuscope "
expect "diagnose" "dfuscope di"
expect "--complete --help --version" "dfuscope --"

# each command's options, from its parser's table
expect "--color --colour --device --help --json --max-devices --max-payload --max-urbs --quiet" \
  "dfuscope diagnose --"
expect "--all-docs --device --docs-base --help --max-payload --max-urbs --output --quiet" \
  "dfuscope report --"
expect "--allow-erase --allow-option-bytes --allow-otp --allow-timing-abuse --allow-unprotect --allow-vendor-request --allow-write" \
  "dfuscope run --allow"

# option values
expect "always auto never" "dfuscope diagnose --color "
expect "always auto" "dfuscope diagnose --color=a"
expect "bin dfu dfuse ihex srec" "dfuscope extract --format "
expect "download upload" "dfuscope extract --direction "
expect "" "dfuscope decode --device "
expect "cap.pcap" "dfuscope report -o c"
expect "sub" "dfuscope wireshark-install --dir "

# suite names for run --suite
expect "all descriptors dfu11 dfuse" "dfuscope run --suite "
# (after a comma: the next name; _sequence -d leaves out those given, with
# compadd -F, which -O does not apply: not seen here)
expect "dfuse" "dfuscope run --suite dfu11,dfus"
expect "descriptors" "dfuscope run --suite=dfu11,de"

# operands
expect "cap.pcap" "dfuscope diagnose c"
expect "cap.pcap other.pcapng sub" "dfuscope decode --dfu "
expect "$all_models" "dfuscope emulate "
expect "st-middleware-dfu stm32g0c1-bootloader stm32l4-bootloader" "dfuscope emulate st"
expect "$all_models" "dfuscope emulate --pcap x.pcap "
expect "cap.pcap" "dfuscope emulate --from-capture c"

# the model's option names for --option
expect "image-size" "dfuscope emulate dfu11-device --option im"
expect "image-size" "dfuscope emulate dfu11-device -o im"
expect "ob-write" "dfuscope emulate --pcap x.pcap stm32g0c1-bootloader --option ob-"
expect "ob-write" "dfuscope emulate --trace stm32g0c1-bootloader --option=ob-"
expect_has "serial flash ob-write reset-ms zero-poll-timeout" \
  "dfuscope emulate stm32g0c1-bootloader --option "

# after "--": the command's own completion
expect_has "dfuscope" "dfuscope emulate dfu11-device -- dfuscop"
expect "diagnose" "dfuscope emulate dfu11-device -- dfuscope di"
expect "--suite" "dfuscope emulate dfu11-device -- dfuscope run --su"

# _dfuscope is what compinit assigned to dfuscope
: >$tmp/matches
zpty -w z "print -r -- \$_comps[dfuscope] >$tmp/matches"
sync_shell assigned
if [[ "$(<$tmp/matches)" != _dfuscope ]]; then
  print -r -- "FAIL: \$_comps[dfuscope] is '$(<$tmp/matches)'"
  (( failures++ ))
fi

if (( failures )); then
  print -r -- "$failures failures"
  exit 1
fi
print ok
