package io.moonshard.controller.proxyclient;

import io.moonshard.cluster.umctl.InfoReplEntry;
import io.moonshard.resp.RespValue;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The typed commands the controller sends to proxies, one link per proxy. Calls to one proxy are
 * serialised on its link; calls to different proxies run in parallel on the callers' threads.
 */
public final class ProxyClients implements AutoCloseable {

    private final String adminPassword;
    private final int timeoutMillis;
    private final ConcurrentMap<String, ProxyLink> links = new ConcurrentHashMap<>();

    /**
     * @param adminPassword the proxies' {@code admin_password} (null: they have none)
     * @param timeoutMillis connect and per-reply read timeout
     */
    public ProxyClients(String adminPassword, int timeoutMillis) {
        this.adminPassword = adminPassword;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * GETEPOCH and INFOREPL in one round trip, preceded by {@code UMCTL LEASE <token> <ttl> SENT <ms>}
     * when {@code leaseToken} is positive ({@code SENT}: this JVM's monotonic clock, so a renewal the
     * proxy reads late grants nothing past {@code SENT + ttl}).
     */
    public ProxyProbe probe(String proxy, long leaseToken, long leaseTtlMillis) {
        List<List<String>> commands = new ArrayList<>(3);
        boolean withLease = leaseToken > 0;
        long sent = System.nanoTime();
        if (withLease) {
            commands.add(List.of("UMCTL", "LEASE", Long.toString(leaseToken), Long.toString(leaseTtlMillis), "SENT",
                    Long.toString(sent / 1_000_000)));
        }
        commands.add(List.of("UMCTL", "GETEPOCH"));
        commands.add(List.of("UMCTL", "INFOREPL"));
        List<RespValue> replies;
        try {
            replies = call(proxy, commands);
        } catch (IOException e) {
            return ProxyProbe.unreachable(proxy, withLease, sent, e.getMessage());
        }
        long received = System.nanoTime();
        int i = 0;
        Reply lease = withLease ? Reply.of(replies.get(i++)) : null;
        RespValue epochReply = replies.get(i++);
        long epoch = epochReply instanceof RespValue.IntegerValue n ? n.value() : -1;
        List<InfoReplEntry> entries = infoRepl(replies.get(i));
        return new ProxyProbe(proxy, true, epoch, entries, lease, withLease, sent, received, null);
    }

    /** {@code UMCTL SETREPL <args>} then {@code UMCTL SETCLUSTER <args>}, in one round trip. */
    public List<Reply> pushMetadata(String proxy, List<String> setRepl, List<String> setCluster) {
        List<String> repl = new ArrayList<>(List.of("UMCTL", "SETREPL"));
        repl.addAll(setRepl);
        List<String> cluster = new ArrayList<>(List.of("UMCTL", "SETCLUSTER"));
        cluster.addAll(setCluster);
        try {
            List<RespValue> replies = call(proxy, List.of(repl, cluster));
            return List.of(Reply.of(replies.get(0)), Reply.of(replies.get(1)));
        } catch (IOException e) {
            Reply unreachable = new Reply(Reply.Outcome.UNREACHABLE, e.getMessage());
            return List.of(unreachable, unreachable);
        }
    }

    /**
     * {@code CONFIG SET moonshard-password <password>}: the password the proxy's clients must AUTH with
     * (proxy-core's {@code Credentials.PASSWORD_SETTING}); null or empty clears it. The admin login of the
     * link is enough for it. Nothing here logs the value.
     */
    public Reply setClientPassword(String proxy, String password) {
        return one(proxy, List.of("CONFIG", "SET", PASSWORD_SETTING, password == null ? "" : password));
    }

    /** The proxy's CONFIG name of its client password (its {@code requirepass}). */
    public static final String PASSWORD_SETTING = "moonshard-password";

    /** {@code UMCTL PROMOTE <epoch> <node> MINOFFSET <minOffset>}: automation never sends FORCE. */
    public Reply promote(String proxy, long epoch, String node, long minOffset) {
        return one(proxy, List.of("UMCTL", "PROMOTE", Long.toString(epoch), node, "MINOFFSET", Long.toString(minOffset)));
    }

    /** {@code UMCTL SWITCHOVER <epoch> <node> <replica-node> <replica-proxy>}: a planned, lossless handover. */
    public Reply switchover(String proxy, long epoch, String node, String replicaNode, String replicaProxy) {
        return one(proxy, List.of("UMCTL", "SWITCHOVER", Long.toString(epoch), node, replicaNode, replicaProxy));
    }

    /**
     * {@code UMCTL WIPE <epoch> [REDIRECT] <node>...}: the proxy serves nothing from {@code epoch} on and empties
     * {@code nodes} (each a master, flushed). Only {@link Reply.Outcome#OK} means wiped: {@code OLD_EPOCH}
     * here says the proxy holds newer metadata than the wipe, which is never "done before".
     */
    public Reply wipe(String proxy, long epoch, boolean redirect, List<String> nodes) {
        List<String> command = new ArrayList<>(List.of("UMCTL", "WIPE", Long.toString(epoch)));
        if (redirect) {
            command.add("REDIRECT"); // it keeps its peers: clients with an old slot map are sent on
        }
        command.addAll(nodes);
        return one(proxy, command);
    }

    /** {@code UMCTL INFOMGR}: the lines of the migrations this proxy has committed; null when unreachable. */
    public List<String> infoMgr(String proxy) {
        try {
            RespValue reply = call(proxy, List.of(List.of("UMCTL", "INFOMGR"))).get(0);
            List<String> lines = new ArrayList<>();
            if (reply instanceof RespValue.ArrayValue a) {
                for (RespValue e : a.elements()) {
                    String text = RespStreamReader.text(e);
                    if (text != null) {
                        lines.add(text);
                    }
                }
            }
            return lines;
        } catch (IOException e) {
            return null;
        }
    }

    private Reply one(String proxy, List<String> command) {
        try {
            return Reply.of(call(proxy, List.of(command)).get(0));
        } catch (IOException e) {
            return new Reply(Reply.Outcome.UNREACHABLE, e.getMessage());
        }
    }

    private List<RespValue> call(String proxy, List<List<String>> commands) throws IOException {
        ProxyLink link = links.computeIfAbsent(proxy, a -> new ProxyLink(a, adminPassword, timeoutMillis));
        synchronized (link) {
            return link.call(commands);
        }
    }

    private static List<InfoReplEntry> infoRepl(RespValue reply) {
        List<InfoReplEntry> out = new ArrayList<>();
        if (!(reply instanceof RespValue.ArrayValue entries)) {
            return out;
        }
        for (RespValue element : entries.elements()) {
            if (element instanceof RespValue.ArrayValue lines) {
                List<String> text = new ArrayList<>();
                for (RespValue line : lines.elements()) {
                    String t = RespStreamReader.text(line);
                    if (t != null) {
                        text.add(t);
                    }
                }
                InfoReplEntry entry = InfoReplEntry.parse(text);
                if (entry != null) {
                    out.add(entry);
                }
            }
        }
        return out;
    }

    /** Forgets the link to a proxy that left the pool. */
    public void forget(String proxy) {
        ProxyLink link = links.remove(proxy);
        if (link != null) {
            synchronized (link) {
                link.close();
            }
        }
    }

    @Override
    public void close() {
        for (String proxy : List.copyOf(links.keySet())) {
            forget(proxy);
        }
    }
}
