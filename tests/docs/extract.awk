# tests/docs/extract.awk: turns the ```sh blocks of one Markdown file into a bash script for
# tests/docs/curl-examples.sh. Run as: awk -v file=docs/api.md -f extract.awk docs/api.md
#
# Only blocks with a curl command in them are examples; each becomes
#
#   gp_block 'FILE' LINE CALLS
#   <the block's lines, each curl at a command position prefixed with GP_AT=FILE:LINE and
#    GP_EXPECT=STATUS>
#   gp_block_end
#
# so that the curl function of the test sees where it was called from and which HTTP status the
# example states. The text is otherwise left as it is. A block is skipped when the last non-blank
# line before its fence is <!-- docs-curl: skip REASON --> (it becomes gp_skipped 'FILE' LINE
# 'REASON'). A status is stated as (NNN) in a comment: on a comment line, for the next curl
# command; or at the end of a command's line, for the curl commands of that command (its lines
# joined by backslashes). Without one the example must answer 2xx. Problems with the Markdown
# itself become gp_docerror 'FILE' LINE 'WHY'.

function quote(s) {
    gsub(/'/, "'\\''", s)
    return "'" s "'"
}

# Where the comment of line s starts (0: none): the first # outside quotes that starts the line
# or follows a blank. in_single carries a single-quoted string over from the line before.
function comment_at(s,    i, c, prev, sq, dq) {
    sq = in_single
    dq = 0
    prev = " "
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (sq) {
            if (c == "'")
                sq = 0
        } else if (dq) {
            if (c == "\\")
                i++
            else if (c == "\"")
                dq = 0
        } else if (c == "\\") {
            i++
        } else if (c == "'") {
            sq = 1
        } else if (c == "\"") {
            dq = 1
        } else if (c == "#" && (prev == " " || prev == "\t")) {
            return i
        }
        prev = c
    }
    return 0
}

# Whether a single-quoted string is still open at the end of line s (given in_single before).
function single_open_after(s,    i, c, sq, dq) {
    sq = in_single
    dq = 0
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (sq) {
            if (c == "'")
                sq = 0
        } else if (dq) {
            if (c == "\\")
                i++
            else if (c == "\"")
                dq = 0
        } else if (c == "\\") {
            i++
        } else if (c == "'") {
            sq = 1
        } else if (c == "\"") {
            dq = 1
        } else if (c == "#" && i > 1 && substr(s, i - 1, 1) ~ /[ \t]/) {
            break
        }
    }
    return sq
}

function docerror(at, why) {
    print "gp_docerror " quote(file) " " at " " quote(why)
}

function status_in(s) {
    if (match(s, /\([1-5][0-9][0-9]\)/))
        return substr(s, RSTART + 1, 3)
    return ""
}

# Prefixes every curl at a command position in code (a line without its comment) and counts
# them in hits.
function annotate(code, docline, expect,    prefix, out, rest, pos) {
    prefix = "GP_AT=" quote(file ":" docline) " GP_EXPECT=" expect " "
    out = ""
    rest = code
    if (match(rest, /^[ \t]*curl[ \t]/)) {
        out = substr(rest, 1, RLENGTH - 5) prefix "curl" substr(rest, RLENGTH, 1)
        rest = substr(rest, RLENGTH + 1)
        hits++
    }
    while (match(rest, /[|(;&][ \t]*curl[ \t]/)) {
        pos = RSTART + RLENGTH - 5
        out = out substr(rest, 1, pos - 1) prefix "curl" substr(rest, RSTART + RLENGTH - 1, 1)
        rest = substr(rest, RSTART + RLENGTH)
        hits++
    }
    return out rest
}

function emit(    i, j, k, c, st, code, pending, pending_line, calls, before) {
    if (skip != "") {
        for (i = 1; i <= n; i++)
            if (line[i] ~ /(^|[|(;&])[ \t]*curl[ \t]/)
                break
        if (i <= n)
            print "gp_skipped " quote(file) " " start " " quote(skip)
        else
            docerror(start, "a skip marker before a block with no curl")
        return
    }
    in_single = 0
    pending = ""
    calls = 0
    i = 1
    while (i <= n) {
        j = i
        while (j < n && line[j] ~ /\\$/)
            j++
        if (!in_single && line[i] ~ /^[ \t]*#/) {
            st = status_in(line[i])
            if (st != "") {
                if (pending != "")
                    docerror(pending_line, "a status (" pending ") that names no curl command")
                pending = st
                pending_line = lno[i]
            }
            out[i] = line[i]
            i++
            continue
        }
        st = ""
        before = in_single
        for (k = i; k <= j; k++) {
            c = comment_at(line[k])
            if (c && status_in(substr(line[k], c)) != "")
                st = status_in(substr(line[k], c))
            in_single = single_open_after(line[k])
        }
        if (st == "")
            st = pending
        in_single = before
        hits = 0
        for (k = i; k <= j; k++) {
            c = comment_at(line[k])
            code = c ? substr(line[k], 1, c - 1) : line[k]
            if (in_single)
                out[k] = line[k] # inside a quoted string: text, not commands
            else
                out[k] = annotate(code, lno[k], st) (c ? substr(line[k], c) : "")
            in_single = single_open_after(line[k])
        }
        if (hits > 0) {
            calls += hits
            pending = ""
        }
        i = j + 1
    }
    if (pending != "")
        docerror(pending_line, "a status (" pending ") that names no curl command")
    if (calls == 0)
        return
    print "gp_block " quote(file) " " start " " calls
    for (i = 1; i <= n; i++)
        print out[i]
    print "gp_block_end"
}

BEGIN {
    infence = 0
    prev = ""
}

{
    if (!infence) {
        if ($0 ~ /^```sh[ \t]*$/) {
            infence = 1
            start = NR
            n = 0
            skip = ""
            if (prev ~ /<!--[ \t]*docs-curl:[ \t]*skip/) {
                skip = prev
                sub(/^.*docs-curl:[ \t]*skip:?[ \t]*/, "", skip)
                sub(/[ \t]*-->.*$/, "", skip)
                if (skip == "")
                    skip = "(no reason given)"
            }
            next
        }
        if ($0 ~ /[^ \t]/)
            prev = $0
        next
    }
    if ($0 ~ /^```[ \t]*$/) {
        infence = 0
        prev = ""
        emit()
        next
    }
    n++
    line[n] = $0
    lno[n] = NR
}

END {
    if (infence)
        docerror(start, "a ```sh block that never ends")
}
