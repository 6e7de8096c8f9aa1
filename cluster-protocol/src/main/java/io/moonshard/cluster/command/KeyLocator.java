package io.moonshard.cluster.command;

import io.moonshard.resp.RespCommand;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * Key extraction, line by line after Redis 7.0.15 {@code db.c}: {@code getKeysFromCommandWithSpecs}
 * (what {@code COMMAND GETKEYS} uses) with {@code getKeysUsingKeySpecs} and the command-specific
 * {@code *GetKeys} fallbacks. Keywords compare like {@code strcasecmp} on C strings (an argument ends at
 * its first NUL byte); numkeys parse like {@code string2ll} in key specs and like {@code atoi} in the
 * fallbacks, as in Redis. Allocation-free.
 *
 * <p>Redis Cluster itself routes with the older {@code getKeysFromCommand} (the fallback, else the
 * legacy first/last/step range). For the built-in commands of 7.0 both give the same key set except in
 * corner cases: GEORADIUS with both STORE and STOREDIST (key specs report both destinations, the
 * fallback only the last one) and malformed requests that Redis rejects anyway.
 */
final class KeyLocator {

    /** The command-specific key finder Redis falls back to ({@code getkeys_proc} in commands.c). */
    enum Proc {
        NONE,
        /** setGetKeys, bitfieldGetKeys: the key is always argument 1. */
        FIRST_ARG,
        SORT,
        SORT_RO,
        MIGRATE,
        GEORADIUS,
        XREAD,
        /** genericGetKeys(0, 1, 2, 1): ZUNION/ZINTER/ZDIFF/ZINTERCARD/SINTERCARD/LMPOP/ZMPOP numkeys key... */
        NUMKEYS_AT_1,
        /** genericGetKeys(0, 2, 3, 1): EVAL*, FCALL*, BLMPOP/BZMPOP timeout numkeys key... */
        NUMKEYS_AT_2,
        /** genericGetKeys(1, 2, 3, 1): Z*STORE dest numkeys key...; dest is reported last. */
        DEST_THEN_NUMKEYS
    }

    private KeyLocator() {
    }

    static Proc procFor(String name) {
        return switch (name) {
            case "set", "bitfield" -> Proc.FIRST_ARG;
            case "sort" -> Proc.SORT;
            case "sort_ro" -> Proc.SORT_RO;
            case "migrate" -> Proc.MIGRATE;
            case "georadius", "georadiusbymember" -> Proc.GEORADIUS;
            case "xread", "xreadgroup" -> Proc.XREAD;
            case "zunion", "zinter", "zdiff", "zintercard", "sintercard", "lmpop", "zmpop" -> Proc.NUMKEYS_AT_1;
            case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "blmpop", "bzmpop" -> Proc.NUMKEYS_AT_2;
            case "zunionstore", "zinterstore", "zdiffstore" -> Proc.DEST_THEN_NUMKEYS;
            default -> Proc.NONE;
        };
    }

    /** See {@link CommandSpec#findKeys}. */
    static int locate(CommandSpec spec, RespCommand cmd, KeyPositions out) {
        out.clear();
        int argc = cmd.argCount();
        if (!spec.arityOk(argc)) {
            return out.markInvalid();
        }
        int n = -1;
        if (spec.useKeySpecs) {
            n = usingKeySpecs(spec.keySpecs(), cmd, argc, out);
            if (n < 0) {
                out.clear();
            }
        }
        if (n < 0) {
            n = usingProc(spec.proc, cmd, argc, out);
        }
        if (n > 0 || !spec.hasKeys) {
            return n;
        }
        // No key found in a command that has keys: COMMAND GETKEYS answers an error, except for
        // no_mandatory_keys commands (EVAL s 0), where zero keys is fine if numkeys really is 0.
        if (spec.has(CommandFlag.NO_MANDATORY_KEYS) && numKeysIsZero(spec.keySpecs(), cmd, argc)) {
            return 0;
        }
        return out.markInvalid();
    }

    /**
     * See {@link CommandSpec#findSlotArguments}: for a command whose key specs are all {@code not_key}
     * (sharded Pub/Sub), those arguments, found with GET_KEYSPEC_INCLUDE_NOT_KEYS.
     */
    static int locateNotKeys(CommandSpec spec, RespCommand cmd, KeyPositions out) {
        out.clear();
        int argc = cmd.argCount();
        if (!spec.arityOk(argc)) {
            return out.markInvalid();
        }
        int n = usingKeySpecs(spec.keySpecs(), cmd, argc, out, true);
        return n < 0 ? out.markInvalid() : n;
    }

    /** getKeysUsingKeySpecs with GET_KEYSPEC_DEFAULT: the key count, or -1 for an invalid/incomplete spec. */
    private static int usingKeySpecs(List<KeySpec> specs, RespCommand cmd, int argc, KeyPositions out) {
        return usingKeySpecs(specs, cmd, argc, out, false);
    }

    private static int usingKeySpecs(List<KeySpec> specs, RespCommand cmd, int argc, KeyPositions out,
                                     boolean includeNotKeys) {
        for (int s = 0; s < specs.size(); s++) {
            KeySpec spec = specs.get(s);
            if (spec.has(KeyFlag.NOT_KEY) && !includeNotKeys) {
                continue;
            }
            int first = 0;
            KeySpec.BeginSearch begin = spec.beginSearch();
            if (begin instanceof KeySpec.Index index) {
                first = index.position();
            } else if (begin instanceof KeySpec.Keyword keyword) {
                first = afterKeyword(keyword, cmd, argc);
                if (first == 0) {
                    continue; // keyword not found: this spec has no keys here
                }
            } else {
                return -1;
            }
            int last;
            int step;
            KeySpec.FindKeys find = spec.findKeys();
            if (find instanceof KeySpec.Range range) {
                step = range.keyStep();
                if (range.lastKey() >= 0) {
                    last = first + range.lastKey();
                } else if (range.limit() == 0) {
                    last = argc + range.lastKey();
                } else {
                    last = first + ((argc - first) / range.limit() + range.lastKey());
                }
            } else if (find instanceof KeySpec.KeyNum keyNum) {
                step = keyNum.keyStep();
                int at = first + keyNum.keyNumIndex();
                if (keyNum.keyNumIndex() >= argc || at >= argc) {
                    return -1;
                }
                long numKeys = parseNonNegative(cmd, at);
                if (numKeys < 0) {
                    return -1;
                }
                first += keyNum.firstKey();
                last = first + (int) numKeys - 1; // C: (int) cast and int arithmetic, kept as is
            } else {
                return -1;
            }
            if (last >= argc || last < first || first >= argc || step <= 0) {
                return -1;
            }
            int accessBits = KeyPositions.accessOf(spec);
            for (int i = first; i <= last; i += step) {
                out.add(i, accessBits);
            }
            if (spec.has(KeyFlag.INCOMPLETE)) {
                return -1;
            }
        }
        return out.count();
    }

    /** Index right after the keyword, searched like getKeysUsingKeySpecs does; 0 when absent. */
    private static int afterKeyword(KeySpec.Keyword keyword, RespCommand cmd, int argc) {
        int startFrom = keyword.startFrom();
        int start = startFrom > 0 ? startFrom : argc + startFrom;
        int end = startFrom > 0 ? argc - 1 : 1;
        for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
            if (i >= argc || i < 1) {
                break;
            }
            if (isWord(cmd, i, keyword.keyword())) {
                return i + 1;
            }
        }
        return 0;
    }

    private static int usingProc(Proc proc, RespCommand cmd, int argc, KeyPositions out) {
        switch (proc) {
            case FIRST_ARG:
                out.add(1, firstArgAccess(cmd, argc));
                return 1;
            case SORT_RO:
                out.add(1, KeyPositions.READ);
                return 1;
            case SORT:
                return sortKeys(cmd, argc, out);
            case MIGRATE:
                return migrateKeys(cmd, argc, out);
            case GEORADIUS:
                return georadiusKeys(cmd, argc, out);
            case XREAD:
                return xreadKeys(cmd, argc, out);
            case NUMKEYS_AT_1:
                return genericKeys(0, 1, 2, cmd, argc, out);
            case NUMKEYS_AT_2:
                return genericKeys(0, 2, 3, cmd, argc, out);
            case DEST_THEN_NUMKEYS:
                return genericKeys(1, 2, 3, cmd, argc, out);
            default:
                return 0;
        }
    }

    /** setGetKeys (GET from argument 3 on: read and write, else write) and bitfieldGetKeys (GET only: read). */
    private static int firstArgAccess(RespCommand cmd, int argc) {
        if (isWord(cmd, 0, "set")) {
            for (int i = 3; i < argc; i++) {
                if (isWord(cmd, i, "get")) {
                    return KeyPositions.READ | KeyPositions.WRITE;
                }
            }
            return KeyPositions.WRITE;
        }
        for (int i = 2; i < argc; i++) {
            int remaining = argc - i - 1;
            if (isWord(cmd, i, "get") && remaining >= 2) {
                i += 2;
            } else if ((isWord(cmd, i, "set") || isWord(cmd, i, "incrby")) && remaining >= 3) {
                return KeyPositions.READ | KeyPositions.WRITE;
            } else if (isWord(cmd, i, "overflow") && remaining >= 1) {
                i += 1;
            } else {
                return KeyPositions.READ | KeyPositions.WRITE; // a syntax error: assumed not read-only, as Redis does
            }
        }
        return KeyPositions.READ;
    }

    /** genericGetKeys with keyStep 1: numkeys by atoi; no keys unless 1 <= numkeys <= what is left. */
    private static int genericKeys(int storeAt, int countAt, int firstAt, RespCommand cmd, int argc, KeyPositions out) {
        if (countAt >= argc) {
            return 0;
        }
        int num = atoi(cmd, countAt);
        if (num < 1 || num > argc - firstAt) {
            return 0;
        }
        for (int i = 0; i < num; i++) {
            out.add(firstAt + i);
        }
        if (storeAt != 0) {
            out.add(storeAt);
        }
        return out.count();
    }

    /** sortGetKeys: the sort key, then the argument after the last STORE (skipping LIMIT/GET/BY operands). */
    private static int sortKeys(RespCommand cmd, int argc, KeyPositions out) {
        out.add(1, KeyPositions.READ);
        int store = 0;
        for (int i = 2; i < argc; i++) {
            if (isWord(cmd, i, "limit")) {
                i += 2;
            } else if (isWord(cmd, i, "store") && i + 1 < argc) {
                store = i + 1; // no skip: Redis looks at the store key as an option name too
            } else if (isWord(cmd, i, "get") || isWord(cmd, i, "by")) {
                i += 1;
            }
        }
        if (store != 0) {
            out.add(store, KeyPositions.WRITE);
        }
        return out.count();
    }

    /** migrateGetKeys: argument 3, or everything after KEYS when argument 3 is empty. */
    private static int migrateKeys(RespCommand cmd, int argc, KeyPositions out) {
        int first = 3;
        int num = 1;
        if (argc > 6) {
            for (int i = 6; i < argc; i++) {
                if (isWord(cmd, i, "keys")) {
                    if (cmd.argLength(3) > 0) {
                        num = 0; // a syntax error, left for MIGRATE to report
                    } else {
                        first = i + 1;
                        num = argc - first;
                    }
                    break;
                }
                if (isWord(cmd, i, "auth")) {
                    i += 1;
                } else if (isWord(cmd, i, "auth2")) {
                    i += 2;
                }
            }
        }
        for (int i = 0; i < num; i++) {
            out.add(first + i, KeyPositions.READ | KeyPositions.WRITE);
        }
        return num;
    }

    /** georadiusGetKeys: the key, then the argument after the last STORE/STOREDIST from index 5 on. */
    private static int georadiusKeys(RespCommand cmd, int argc, KeyPositions out) {
        out.add(1);
        int stored = -1;
        for (int i = 5; i < argc; i++) {
            if ((isWord(cmd, i, "store") || isWord(cmd, i, "storedist")) && i + 1 < argc) {
                stored = i + 1;
                i++;
            }
        }
        if (stored != -1) {
            out.add(stored);
        }
        return out.count();
    }

    /** xreadGetKeys: the first half of what follows STREAMS, after skipping known options. */
    private static int xreadKeys(RespCommand cmd, int argc, KeyPositions out) {
        int streamsAt = -1;
        for (int i = 1; i < argc; i++) {
            if (isWord(cmd, i, "block") || isWord(cmd, i, "count")) {
                i++;
            } else if (isWord(cmd, i, "group")) {
                i += 2;
            } else if (isWord(cmd, i, "noack")) {
                continue;
            } else if (isWord(cmd, i, "streams")) {
                streamsAt = i;
                break;
            } else {
                break;
            }
        }
        int num = streamsAt == -1 ? 0 : argc - streamsAt - 1;
        if (streamsAt == -1 || num == 0 || num % 2 != 0) {
            return 0;
        }
        num /= 2;
        for (int i = streamsAt + 1; i < argc - num; i++) {
            out.add(i);
        }
        return num;
    }

    /** For a no_mandatory_keys command that found no key: whether its numkeys argument is exactly 0. */
    private static boolean numKeysIsZero(List<KeySpec> specs, RespCommand cmd, int argc) {
        for (int s = 0; s < specs.size(); s++) {
            KeySpec spec = specs.get(s);
            if (spec.beginSearch() instanceof KeySpec.Index index && spec.findKeys() instanceof KeySpec.KeyNum keyNum) {
                int at = index.position() + keyNum.keyNumIndex();
                return at < argc && parseNonNegative(cmd, at) == 0;
            }
        }
        return true;
    }

    /**
     * Whether argument {@code i}, read as a C string (up to its first NUL byte), equals {@code word}
     * ignoring ASCII case, like Redis's {@code strcasecmp(argv[i]->ptr, word)}.
     */
    static boolean isWord(RespCommand cmd, int i, String word) {
        int len = cmd.argLength(i);
        int wordLen = word.length();
        if (len < wordLen) {
            return false;
        }
        ByteBuf frame = cmd.frame();
        int off = cmd.argOffset(i);
        for (int k = 0; k < wordLen; k++) {
            if (NameIndex.fold(frame.getByte(off + k)) != NameIndex.fold((byte) word.charAt(k))) {
                return false;
            }
        }
        return len == wordLen || frame.getByte(off + wordLen) == 0;
    }

    /**
     * Argument {@code i} parsed like Redis's {@code string2ll} (optional '-', digits, no leading zeros,
     * nothing else), or -1 when it is not an integer or is negative.
     */
    static long parseNonNegative(RespCommand cmd, int i) {
        int len = cmd.argLength(i);
        if (len == 0 || len > 20) {
            return -1;
        }
        ByteBuf frame = cmd.frame();
        int off = cmd.argOffset(i);
        byte lead = frame.getByte(off);
        if (lead == '0') {
            return len == 1 ? 0 : -1;
        }
        long value = 0;
        for (int k = 0; k < len; k++) {
            int d = frame.getByte(off + k) - '0';
            if (d < 0 || d > 9 || value > (Long.MAX_VALUE - d) / 10) {
                return -1; // not a digit (a '-' sign included: negative is invalid too), or overflow
            }
            value = value * 10 + d;
        }
        return value;
    }

    /**
     * C {@code atoi} (glibc: {@code (int) strtol(s, NULL, 10)}) on argument {@code i} read as a C string:
     * leading white space, an optional sign, digits up to the first other byte; saturates like strtol,
     * then truncates to int.
     */
    static int atoi(RespCommand cmd, int i) {
        ByteBuf frame = cmd.frame();
        int off = cmd.argOffset(i);
        int end = off + cmd.argLength(i);
        int p = off;
        while (p < end && isCSpace(frame.getByte(p))) {
            p++;
        }
        boolean negative = false;
        if (p < end && (frame.getByte(p) == '-' || frame.getByte(p) == '+')) {
            negative = frame.getByte(p) == '-';
            p++;
        }
        long value = 0;
        boolean saturated = false;
        for (; p < end; p++) {
            int d = frame.getByte(p) - '0';
            if (d < 0 || d > 9) {
                break;
            }
            if (!saturated) {
                if (value > (Long.MAX_VALUE - d) / 10) {
                    saturated = true;
                } else {
                    value = value * 10 + d;
                }
            }
        }
        long result;
        if (saturated) {
            result = negative ? Long.MIN_VALUE : Long.MAX_VALUE;
        } else {
            result = negative ? -value : value;
        }
        return (int) result;
    }

    private static boolean isCSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == 0x0b || b == '\f' || b == '\r';
    }
}
