package io.moonshard.proxy.acl;

import java.nio.charset.StandardCharsets;

/** A key pattern with the access it grants: {@code ~p} (both), {@code %R~p}, {@code %W~p}. */
record KeyPattern(String pattern, byte[] bytes, int access) {

    static final int READ = 1;
    static final int WRITE = 2;
    static final int ALL = READ | WRITE;

    KeyPattern(String pattern, int access) {
        this(pattern, pattern.getBytes(StandardCharsets.ISO_8859_1), access);
    }

    String render() {
        String prefix = access == ALL ? "~" : access == READ ? "%R~" : "%W~";
        return prefix + pattern;
    }
}
