package io.moonshard.proxy.acl;

/** Redis's {@code stringmatchlen} (util.c), case-sensitive, over bytes: key and channel patterns. */
public final class Glob {

    private Glob() {
    }

    /** Whether {@code string} matches the glob {@code pattern}. */
    public static boolean matches(byte[] pattern, byte[] string) {
        return match(pattern, 0, string, 0, new boolean[1]);
    }

    private static boolean match(byte[] p, int pi, byte[] s, int si, boolean[] skipLonger) {
        int pLen = p.length - pi;
        int sLen = s.length - si;
        while (pLen > 0 && sLen > 0) {
            switch (p[pi]) {
                case '*' -> {
                    while (pLen > 1 && p[pi + 1] == '*') {
                        pi++;
                        pLen--;
                    }
                    if (pLen == 1) {
                        return true;
                    }
                    while (sLen > 0) {
                        if (match(p, pi + 1, s, si, skipLonger)) {
                            return true;
                        }
                        if (skipLonger[0]) {
                            return false;
                        }
                        si++;
                        sLen--;
                    }
                    // no match for the rest anywhere: earlier stars cannot help either
                    skipLonger[0] = true;
                    return false;
                }
                case '?' -> {
                    si++;
                    sLen--;
                }
                case '[' -> {
                    pi++;
                    pLen--;
                    boolean not = pLen > 0 && p[pi] == '^';
                    if (not) {
                        pi++;
                        pLen--;
                    }
                    boolean matched = false;
                    while (true) {
                        if (pLen >= 2 && p[pi] == '\\') {
                            pi++;
                            pLen--;
                            if (p[pi] == s[si]) {
                                matched = true;
                            }
                        } else if (pLen == 0) {
                            // an unterminated class: C steps back onto the last byte
                            pi--;
                            pLen++;
                            break;
                        } else if (p[pi] == ']') {
                            break;
                        } else if (pLen >= 3 && p[pi + 1] == '-') {
                            int start = p[pi] & 0xff;
                            int end = p[pi + 2] & 0xff;
                            int c = s[si] & 0xff;
                            if (start > end) {
                                int t = start;
                                start = end;
                                end = t;
                            }
                            pi += 2;
                            pLen -= 2;
                            if (c >= start && c <= end) {
                                matched = true;
                            }
                        } else if (p[pi] == s[si]) {
                            matched = true;
                        }
                        pi++;
                        pLen--;
                    }
                    if (not) {
                        matched = !matched;
                    }
                    if (!matched) {
                        return false;
                    }
                    si++;
                    sLen--;
                }
                default -> {
                    if (p[pi] == '\\' && pLen >= 2) {
                        pi++;
                        pLen--;
                    }
                    if (p[pi] != s[si]) {
                        return false;
                    }
                    si++;
                    sLen--;
                }
            }
            pi++;
            pLen--;
            if (sLen == 0) {
                while (pLen > 0 && p[pi] == '*') {
                    pi++;
                    pLen--;
                }
                break;
            }
        }
        return pLen == 0 && sLen == 0;
    }
}
