package io.moonshard.proxy.internal.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link Lease} on a clock the test moves: grants, expiry, tokens, ending, bounds, SENT-anchored renewals. */
class LeaseTest {

    private static final long MS = 1_000_000L;

    /** The proxy's monotonic clock, in ns; starts at an arbitrary (negative) origin as System.nanoTime may. */
    private final AtomicLong now = new AtomicLong(-5_000_000 * MS);
    private final Lease lease = new Lease(now::get);

    private String lease(String... args) {
        return lease.apply(List.of(args));
    }

    private void advanceMillis(long ms) {
        now.addAndGet(ms * MS);
    }

    @Test
    void beforeAnyLease_neverFenced() {
        advanceMillis(10_000_000);
        assertThat(lease.isFenced()).isFalse();
        assertThat(lease.state()).isEqualTo(Lease.State.NONE);
        assertThat(lease.remainingMillis()).isEqualTo(-1);
        assertThat(lease.renewals()).isZero();
        assertThat(lease.infoLines()).containsExactly("state:none", "token:none", "ttl_ms:0", "remaining_ms:-1",
                "fenced:no", "anchor:none", "renewals:0");
    }

    @Test
    void aGrant_fencesExactlyAtReceiptPlusTtl_andARenewalLiftsTheFence() {
        assertThat(lease("7", "300")).isEqualTo("+OK");
        assertThat(lease.isFenced()).isFalse();
        assertThat(lease.remainingMillis()).isEqualTo(300);
        now.addAndGet(300 * MS - 1);
        assertThat(lease.isFenced()).isFalse();
        assertThat(lease.remainingMillis()).as("1 ns left").isEqualTo(1);
        assertThat(lease.infoLines()).contains("fenced:no");
        now.incrementAndGet();
        assertThat(lease.isFenced()).isTrue();
        assertThat(lease.remainingMillis()).isZero();
        assertThat(lease.infoLines()).containsExactly("state:held", "token:7", "ttl_ms:300", "remaining_ms:0",
                "fenced:yes", "anchor:receipt", "renewals:1");

        advanceMillis(5_000);
        assertThat(lease("7", "1000")).as("the same token renews").isEqualTo("+OK");
        assertThat(lease.isFenced()).isFalse();
        assertThat(lease.remainingMillis()).isEqualTo(1000);
        assertThat(lease.renewals()).isEqualTo(2);
        advanceMillis(400);
        assertThat(lease("7", "200")).as("a renewal replaces the deadline, shorter too").isEqualTo("+OK");
        advanceMillis(200);
        assertThat(lease.isFenced()).isTrue();
    }

    @Test
    void aLowerTokenIsRefused_aHigherOneTakesOver() {
        assertThat(lease("7", "1000")).isEqualTo("+OK");
        advanceMillis(2_000);
        assertThat(lease.isFenced()).isTrue();
        assertThat(lease("6", "1000")).isEqualTo("-ERR stale lease token 6: this proxy follows lease token 7");
        assertThat(lease.isFenced()).as("nothing changed").isTrue();
        assertThat(lease("8", "1000")).isEqualTo("+OK");
        assertThat(lease.isFenced()).isFalse();
        assertThat(lease("7", "1000")).isEqualTo("-ERR stale lease token 7: this proxy follows lease token 8");
        assertThat(lease.renewals()).isEqualTo(2);
    }

    @Test
    void tokensCompareAsUnsigned64BitIntegers() {
        assertThat(lease("9223372036854775808", "100")).isEqualTo("+OK"); // 2^63: negative as a signed long
        assertThat(lease("9223372036854775807", "100"))
                .isEqualTo("-ERR stale lease token 9223372036854775807: this proxy follows lease token 9223372036854775808");
        assertThat(lease("18446744073709551615", "100")).isEqualTo("+OK");
        assertThat(lease.infoLines()).contains("token:18446744073709551615");
        assertThat(lease("18446744073709551616", "100")).isEqualTo("-ERR lease token is not an integer or out of range");
        assertThat(lease("-1", "100")).isEqualTo("-ERR lease token is not an integer or out of range");
    }

    @Test
    void ttlZero_endsLeasing_untilTheNextLease_andStillRefusesLowerTokens() {
        assertThat(lease("7", "300")).isEqualTo("+OK");
        advanceMillis(1_000);
        assertThat(lease.isFenced()).isTrue();
        assertThat(lease("6", "0")).as("only the current token may end it")
                .isEqualTo("-ERR stale lease token 6: this proxy follows lease token 7");
        assertThat(lease.isFenced()).isTrue();
        assertThat(lease("7", "0")).isEqualTo("+OK");
        assertThat(lease.isFenced()).isFalse();
        assertThat(lease.state()).isEqualTo(Lease.State.ENDED);
        advanceMillis(10_000_000);
        assertThat(lease.isFenced()).isFalse();
        assertThat(lease.remainingMillis()).isEqualTo(-1);
        assertThat(lease.infoLines()).containsExactly("state:ended", "token:7", "ttl_ms:0", "remaining_ms:-1",
                "fenced:no", "anchor:none", "renewals:1");
        assertThat(lease("6", "300")).isEqualTo("-ERR stale lease token 6: this proxy follows lease token 7");
        assertThat(lease("7", "300")).as("the controller takes over again").isEqualTo("+OK");
        advanceMillis(300);
        assertThat(lease.isFenced()).isTrue();
    }

    @Test
    void badArguments_getRedisStyleErrors_andChangeNothing() {
        assertThat(lease("7")).isEqualTo("-ERR wrong number of arguments for 'umctl|lease' command");
        assertThat(lease("7", "300", "SENT")).isEqualTo("-ERR wrong number of arguments for 'umctl|lease' command");
        assertThat(lease("7", "300", "SENT", "1", "x")).isEqualTo("-ERR wrong number of arguments for 'umctl|lease' command");
        assertThat(lease("x", "300")).isEqualTo("-ERR lease token is not an integer or out of range");
        assertThat(lease("7", "3.5")).isEqualTo("-ERR lease ttl_ms is not an integer or out of range");
        assertThat(lease("7", "600001")).isEqualTo("-ERR lease ttl_ms 600001 is out of range (0..600000)");
        assertThat(lease("7", "-1")).isEqualTo("-ERR lease ttl_ms -1 is out of range (0..600000)");
        assertThat(lease("7", "300", "SEND", "1")).isEqualTo("-ERR syntax error");
        assertThat(lease("7", "300", "SENT", "soon")).isEqualTo("-ERR lease SENT is not an integer or out of range");
        assertThat(lease("7", "300", "SENT", "-9223372036854775808"))
                .isEqualTo("-ERR lease SENT is not an integer or out of range");
        assertThat(lease("7", "300", "SENT", "1000000000000001"))
                .isEqualTo("-ERR lease SENT is not an integer or out of range");
        assertThat(lease.state()).isEqualTo(Lease.State.NONE);
        assertThat(lease("7", "600000")).isEqualTo("+OK");
        assertThat(lease.remainingMillis()).isEqualTo(600_000);
        assertThat(lease("7", "300", "sent", "1000000000000000")).as("SENT in any case, at its bound").isEqualTo("+OK");
    }

    /**
     * The hole SENT closes: a renewal the controller sent while the proxy was stopped waits in the
     * proxy's socket. Counted from its receipt it would lift the fence after the controller gave the
     * slots away; counted from its send time it has lapsed, and the proxy stays fenced.
     */
    @Test
    void aRenewalThatWaitedInTheSocket_liftsNoFence_whenItCarriesItsSendTime() {
        long controller = 42_000; // the controller's monotonic clock, in ms, on an origin of its own
        // one-way delay 1 ms: sent at controller 42000, received 1 ms later
        advanceMillis(1);
        assertThat(lease("7", "1000", "SENT", Long.toString(controller))).isEqualTo("+OK");
        assertThat(lease.remainingMillis()).as("the first renewal counts from its receipt").isEqualTo(1000);
        assertThat(lease.infoLines()).contains("anchor:sent");
        // the proxy stops; the controller sends renewals 300 ms apart that nobody reads
        long lastSent = controller + 900;
        advanceMillis(2_500); // the proxy runs again, 2.5 s later, and reads them
        assertThat(lease.isFenced()).isTrue();
        assertThat(lease("7", "1000", "SENT", Long.toString(controller + 300)))
                .isEqualTo("-ERR late lease renewal: by its SENT time it ended 1198 ms ago; the lease is unchanged");
        assertThat(lease("7", "1000", "SENT", Long.toString(lastSent)))
                .isEqualTo("-ERR late lease renewal: by its SENT time it ended 598 ms ago; the lease is unchanged");
        assertThat(lease.isFenced()).isTrue();
        assertThat(lease.renewals()).isEqualTo(1);
        // the same renewal without SENT would have lifted it: the receipt counts
        AtomicLong otherClock = new AtomicLong();
        Lease receiptCounted = new Lease(otherClock::get);
        assertThat(receiptCounted.apply(List.of("7", "1000"))).isEqualTo("+OK");
        otherClock.addAndGet(2_500 * MS);
        assertThat(receiptCounted.isFenced()).isTrue();
        assertThat(receiptCounted.apply(List.of("7", "1000"))).isEqualTo("+OK");
        assertThat(receiptCounted.isFenced()).isFalse();
        // a fresh renewal, sent now (controller clock: 42000 + 2501 ms), lifts it: 1 ms in transit
        advanceMillis(1);
        assertThat(lease("7", "1000", "SENT", Long.toString(controller + 2_501))).isEqualTo("+OK");
        assertThat(lease.isFenced()).isFalse();
        assertThat(lease.remainingMillis()).isEqualTo(1000);
    }

    @Test
    void sentAnchoredDeadline_usesTheFastestTransitSeen_soASlowRenewalGrantsLess() {
        long controller = 1_000;
        advanceMillis(5); // 5 ms in transit
        assertThat(lease("3", "1000", "SENT", Long.toString(controller))).isEqualTo("+OK");
        advanceMillis(98); // sent 100 ms later, 3 ms in transit: the smallest difference now
        assertThat(lease("3", "1000", "SENT", Long.toString(controller + 100))).isEqualTo("+OK");
        assertThat(lease.remainingMillis()).isEqualTo(1000);
        advanceMillis(150); // sent 100 ms later, 53 ms in transit: counted as 3 ms
        assertThat(lease("3", "1000", "SENT", Long.toString(controller + 200))).isEqualTo("+OK");
        assertThat(lease.remainingMillis()).isEqualTo(950);
        assertThat(lease.renewals()).isEqualTo(3);
    }

    @Test
    void aNewTokenStartsANewClockSample_aControllerClockOfItsOwn() {
        advanceMillis(1);
        assertThat(lease("3", "1000", "SENT", "500000")).isEqualTo("+OK");
        advanceMillis(100);
        // a new leader whose clock reads far less: with the old sample its renewal would look 500 s late
        assertThat(lease("4", "1000", "SENT", "20")).isEqualTo("+OK");
        assertThat(lease.remainingMillis()).isEqualTo(1000);
        advanceMillis(500);
        assertThat(lease("4", "1000", "SENT", "520")).isEqualTo("+OK");
        assertThat(lease.remainingMillis()).isEqualTo(1000);
    }

    /**
     * A proxy whose clock runs 500 ppm ahead of the controller's sees each renewal's send-to-receipt
     * difference grow; the oldest, smallest one alone would shorten every lease by 0.5 ms per second
     * and fence a 300 ms lease after 10 minutes. The drift allowance lets the bound rise that fast, also
     * when renewals come more often than once a second (each alone would earn less than a millisecond).
     */
    @Test
    void clockDriftBetweenControllerAndProxy_doesNotWearTheLeaseAway() {
        long controllerNanos = 77_000 * MS;
        advanceMillis(1);
        assertThat(lease("5", "300", "SENT", Long.toString(controllerNanos / MS))).isEqualTo("+OK");
        for (int i = 0; i < 12_000; i++) { // 50 minutes, a renewal every 250 ms
            controllerNanos += 250 * MS;
            now.addAndGet(250 * MS + 125_000); // 250.125 ms on the proxy per 250 controller ms
            assertThat(lease("5", "300", "SENT", Long.toString(controllerNanos / MS))).as("renewal %d", i)
                    .isEqualTo("+OK");
            assertThat(lease.isFenced()).isFalse();
        }
        assertThat(lease.remainingMillis()).isGreaterThanOrEqualTo(298);
        // the other way (the proxy slower) the smallest difference is always the newest
        controllerNanos += 1_000 * MS;
        now.addAndGet(999 * MS);
        assertThat(lease("5", "300", "SENT", Long.toString(controllerNanos / MS))).isEqualTo("+OK");
        assertThat(lease.remainingMillis()).isLessThanOrEqualTo(300);
    }
}
