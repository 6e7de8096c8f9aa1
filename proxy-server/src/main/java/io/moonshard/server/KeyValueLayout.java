package io.moonshard.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * Formats one log event as one line of {@code key=value} fields:
 * <pre>
 * ts=2026-11-25T01:40:00.123Z level=INFO logger=Main thread=main msg=started address=127.0.0.1:5299
 * </pre>
 * Fields: {@code ts level logger thread msg}, then the event's slf4j key/value pairs in order, then
 * {@code exception} with the stack trace. Values that are not plain words are double-quoted with
 * {@code \" \\ \n \r \t} escaped, so an event never spans two lines and a line splits on spaces.
 */
public final class KeyValueLayout extends LayoutBase<ILoggingEvent> {

    private static final DateTimeFormatter TS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(160);
        line.append("ts=").append(TS.format(Instant.ofEpochMilli(event.getTimeStamp())));
        line.append(" level=").append(event.getLevel());
        field(line, "logger", shortName(event.getLoggerName()));
        field(line, "thread", event.getThreadName());
        field(line, "msg", event.getFormattedMessage());
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                field(line, pair.key, String.valueOf(pair.value));
            }
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            field(line, "exception", ThrowableProxyUtil.asString(thrown).strip());
        }
        return line.append('\n').toString();
    }

    private static String shortName(String loggerName) {
        int dot = loggerName.lastIndexOf('.');
        return dot < 0 ? loggerName : loggerName.substring(dot + 1);
    }

    static void field(StringBuilder line, String key, String value) {
        line.append(' ').append(key).append('=');
        appendValue(line, value == null ? "null" : value);
    }

    static void appendValue(StringBuilder line, String value) {
        if (isPlain(value)) {
            line.append(value);
            return;
        }
        line.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': line.append("\\\""); break;
                case '\\': line.append("\\\\"); break;
                case '\n': line.append("\\n"); break;
                case '\r': line.append("\\r"); break;
                case '\t': line.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
            }
        }
        line.append('"');
    }

    private static boolean isPlain(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || ".:/@,+-_[]()%#*".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
