# bash completion for dfuscope                              -*- shell-script -*-
#
# The commands, their options and what each option takes come from dfuscope
# itself (dfuscope --complete, docs/completion.md), the emulated models and
# their options from `dfuscope emulate --list --names [MODEL]`: nothing is
# listed here, so the completion follows the program it completes.

# _dfuscope_value OPTION: what OPTION takes, from the command's table in
# $table: sets kind (-, file, dir, text, word, list, model-option) and
# vwords (the words of word and list); false for an unknown option.
_dfuscope_value()
{
    kind= vwords=
    local opt k w
    while IFS=$'\t' read -r opt k w; do
        if [[ $opt == "$1" ]]; then
            kind=$k vwords=$w
            return 0
        fi
    done <<<"$table"
    return 1
}

# _dfuscope_operands: the words of the command line from the command's own
# options up to the current word that are not options or their values, in
# the array operands; stops at "--" (emulate's command).
_dfuscope_operands()
{
    operands=()
    local i w kind vwords
    for ((i = 2; i < cword; i++)); do
        w=${words[i]}
        [[ $w == -- ]] && break
        if [[ $w == -?* ]]; then
            # an option: its value is the next word unless given with =
            if [[ $w != *=* ]] && _dfuscope_value "$w" && [[ $kind != - ]]; then
                ((i++))
            fi
            continue
        fi
        operands+=("$w")
    done
}

_dfuscope()
{
    local cur prev words cword split
    _init_completion -s || return

    local prog=${words[0]}
    if ((cword == 1)); then
        local list
        if [[ $cur == -* ]]; then
            list=$("$prog" --complete options 2>/dev/null | cut -f1)
        else
            list=$("$prog" --complete commands 2>/dev/null | cut -f1)
        fi
        COMPREPLY=($(compgen -W "$list" -- "$cur"))
        return
    fi

    local cmd=${words[1]} table i
    case $cmd in
        -*) return ;; # after the program's own options (--help ...): nothing
    esac
    table=$("$prog" --complete options "$cmd" 2>/dev/null) || return

    local operand
    operand=$("$prog" --complete commands 2>/dev/null |
        while IFS=$'\t' read -r name op _; do
            [[ $name == "$cmd" ]] && echo "$op"
        done)

    # emulate MODEL ... -- COMMAND: the command line after "--" is the command's
    if [[ $operand == model ]]; then
        for ((i = 2; i < cword; i++)); do
            if [[ ${words[i]} == -- ]]; then
                _command_offset $((i + 1))
                return
            fi
        done
    fi

    # the value of an option
    local kind vwords
    if [[ $prev == -?* ]] && _dfuscope_value "$prev" && [[ $kind != - ]]; then
        case $kind in
            file)
                _filedir
                ;;
            dir)
                _filedir -d
                ;;
            word)
                COMPREPLY=($(compgen -W "$vwords" -- "$cur"))
                ;;
            list)
                # NAME[,NAME...]: complete the last one with those not given yet
                local given= left= w
                [[ $cur == *,* ]] && given=${cur%,*},
                for w in $vwords; do
                    [[ ,$given == *,"$w",* ]] || left+=" $w"
                done
                COMPREPLY=($(compgen -P "$given" -W "$left" -- "${cur##*,}"))
                ;;
            model-option)
                local operands
                _dfuscope_operands
                if ((${#operands[@]})); then
                    COMPREPLY=($(compgen -S = -W \
                        "$("$prog" emulate --list --names "${operands[0]}" 2>/dev/null)" \
                        -- "$cur"))
                    compopt -o nospace
                fi
                ;;
        esac
        return # text: nothing to offer
    fi
    [[ $split == true ]] && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(cut -f1 <<<"$table")" -- "$cur"))
        [[ $operand == model ]] && COMPREPLY+=($(compgen -W "--" -- "$cur"))
        return
    fi

    case $operand in
        file)
            _filedir
            ;;
        model)
            local operands
            _dfuscope_operands
            if ((${#operands[@]} == 0)); then
                COMPREPLY=($(compgen -W "$("$prog" emulate --list --names 2>/dev/null)" \
                    -- "$cur"))
            fi
            ;;
    esac
} &&
    complete -F _dfuscope dfuscope

# ex: filetype=sh
