package io.moonshard.proxy.internal.route;

import io.moonshard.proxy.ProxyConfig;
import io.moonshard.proxy.acl.AclUser;
import io.moonshard.proxy.internal.backend.BackendConnection;
import io.moonshard.proxy.internal.backend.ReplyTarget;
import io.moonshard.proxy.internal.session.ClientSession;
import io.moonshard.proxy.internal.session.ReplySlot;
import io.moonshard.proxy.internal.wire.FlatArrays;
import io.moonshard.resp.RespCommands;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scripts of a restricted user run at the backend as that user's mirror ({@link AclUser#backendMirror}):
 * Redis checks the commands a script calls against the user running it, and the proxy sees only the
 * script's declared keys. On the client's dedicated connection the proxy sends {@code ACL SETUSER
 * <mirror> reset on >pw <rules>} (once per connection and set of rules) and {@code AUTH <mirror> pw},
 * waits for their replies, then sends the script and {@code AUTH} back to its own backend login.
 *
 * <p>The wait is what makes it fail closed: a script sent behind an AUTH that failed would run as the
 * proxy's backend login. Meanwhile the client's next commands wait ({@link ClientSession#holdDispatch}),
 * so nothing of this client reaches that connection between the AUTH and the script, or runs as the
 * mirror after it. Unrestricted users (the default) skip all of this.
 */
public final class ScriptUsers {

    private static final Logger log = LoggerFactory.getLogger(ScriptUsers.class);

    /**
     * The mirrors' password: random per process and never shown, so nobody else can log in as a
     * mirror; a mirror left on a backend after its proxy user was deleted or its process ended is
     * therefore of no use to anyone.
     */
    private static final String PASSWORD;
    /**
     * Ends every mirror's backend name: two proxy processes sharing a backend (a failover, two embedded
     * proxies) each set their own password, so they must not share a backend user.
     */
    private static final String INSTANCE;

    static {
        SecureRandom random = new SecureRandom();
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        PASSWORD = HexFormat.of().formatHex(bytes);
        byte[] instance = new byte[4];
        random.nextBytes(instance);
        INSTANCE = HexFormat.of().formatHex(instance);
    }

    private ScriptUsers() {
    }

    /**
     * Sends {@code before} (replies dropped) and then {@code last} (its reply to {@code slot}) on
     * {@code own} as {@code s}'s user's mirror. Ownership of the frames passes here. When the mirror
     * cannot be installed or logged in to, nothing is sent and the client gets an error.
     */
    public static void send(ClientSession s, ReplySlot slot, BackendConnection own, List<ByteBuf> before, ByteBuf last) {
        AclUser user = s.state().user();
        if (own.isPush()) {
            // on a pub/sub connection the replies of AUTH would go to the client as pushed frames
            release(before, last);
            s.replyError(slot, "ERR scripts of user '" + user.name()
                    + "' cannot run through the proxy on a connection in pub/sub mode");
            return;
        }
        AclUser.BackendMirror mirror = user.backendMirror();
        String backendName = mirror.name() + "~" + INSTANCE;
        Login login = new Login(s, slot, own, backendName, user.name(), before, last);
        // before sending: a connection that cannot send completes the Login at once, which lifts the hold
        s.holdDispatch();
        if (!backendName.equals(own.scriptUser)) {
            List<String> args = new ArrayList<>(mirror.rules().size() + 6);
            args.add("ACL");
            args.add("SETUSER");
            args.add(backendName);
            args.add("reset");
            args.add("on");
            args.add(">" + PASSWORD);
            args.addAll(mirror.rules());
            own.send(new ReplyTarget() {
                @Override
                public void complete(ByteBuf reply) {
                    if (FlatArrays.isError(reply)) {
                        login.setUserError = text(reply);
                    }
                    reply.release();
                }
            }, Unpooled.wrappedBuffer(RespCommands.encode(args.toArray(String[]::new))));
        }
        own.send(login, Unpooled.wrappedBuffer(RespCommands.encode("AUTH", backendName, PASSWORD)));
    }

    /** The AUTH as the mirror: on its reply the script goes out, or the client gets the error. */
    private static final class Login extends ReplyTarget {
        private final ClientSession s;
        private final ReplySlot slot;
        private final BackendConnection own;
        private final String backendName;
        private final String userName;
        private final List<ByteBuf> before;
        private final ByteBuf last;
        String setUserError;

        Login(ClientSession s, ReplySlot slot, BackendConnection own, String backendName, String userName,
              List<ByteBuf> before, ByteBuf last) {
            this.s = s;
            this.slot = slot;
            this.own = own;
            this.backendName = backendName;
            this.userName = userName;
            this.before = before;
            this.last = last;
        }

        @Override
        public void complete(ByteBuf reply) {
            String authError = FlatArrays.isError(reply) ? text(reply) : null;
            reply.release();
            if (authError == null && setUserError == null) {
                own.scriptUser = backendName;
                for (ByteBuf frame : before) {
                    own.send(ReplyTarget.discard(), frame);
                }
                own.send(slot, last);
                own.send(new ReplyTarget() {
                    @Override
                    public void complete(ByteBuf back) {
                        if (FlatArrays.isError(back)) {
                            // the connection would keep running as the mirror: it must not be used again
                            log.error("event=backend_auth_failed backend={} reply=\"{}\"", own.address, text(back));
                            own.close();
                        }
                        back.release();
                    }
                }, Unpooled.wrappedBuffer(loginBack(s.proxy.config())));
                own.pauseIfSaturated(s);
            } else {
                own.scriptUser = null; // installed again by the next script
                release(before, last);
                String why = setUserError != null ? setUserError : authError;
                log.warn("event=script_user_failed backend={} user={} reply=\"{}\"", own.address, userName, why);
                s.replyError(slot, "ERR the proxy could not run this script as user '" + userName + "' at backend "
                        + own.address + ": " + why);
            }
            s.resumeDispatch();
        }
    }

    /**
     * AUTH as the proxy's own backend login again. Without a configured user it is Redis's
     * {@code default}; without a password, {@code default} is {@code nopass}, which accepts any.
     */
    private static byte[] loginBack(ProxyConfig config) {
        String user = config.backendUser() != null ? config.backendUser() : "default";
        String password = config.backendPassword() != null ? config.backendPassword() : "nopass";
        return RespCommands.encode("AUTH", user, password);
    }

    private static void release(List<ByteBuf> before, ByteBuf last) {
        before.forEach(ByteBuf::release);
        last.release();
    }

    private static String text(ByteBuf reply) {
        return reply.toString(reply.readerIndex() + 1, Math.max(0, reply.readableBytes() - 3), StandardCharsets.UTF_8);
    }
}
