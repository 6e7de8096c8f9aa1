package io.moonshard.proxy.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.moonshard.resp.RespCommand;
import org.junit.jupiter.api.Test;

class CommandPolicyTest {

    private static String refusal(String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return CommandPolicy.refusal(args[0].toLowerCase(java.util.Locale.ROOT), cmd);
        } finally {
            cmd.release();
        }
    }

    @Test
    void connectionModeChangingCommandsAreRefused() {
        assertThat(refusal("subscribe", "ch")).isNull();
        assertThat(refusal("reset")).contains("'reset' is not supported");
        assertThat(refusal("wait", "1", "0")).isNull();
        assertThat(refusal("blpop", "l", "0")).isNull();
        assertThat(refusal("monitor")).contains("'monitor' is not supported");
    }

    @Test
    void databaseCommandsGetRedisClusterErrors() {
        assertThat(refusal("move", "k", "1")).isEqualTo("ERR MOVE is not allowed in cluster mode");
        assertThat(refusal("swapdb", "0", "1")).isEqualTo("ERR SWAPDB is not allowed in cluster mode");
        assertThat(refusal("copy", "a", "b", "DB", "2"))
                .isEqualTo("ERR Copying to another database is not allowed in cluster mode");
        assertThat(refusal("copy", "a", "b", "DB", "0")).isNull();
        assertThat(refusal("copy", "a", "b", "REPLACE")).isNull();
    }

    @Test
    void debugPassesExceptWhatStopsTheBackend() {
        assertThat(refusal("debug", "sleep", "0")).isNull();
        assertThat(refusal("debug", "SEGFAULT"))
                .isEqualTo("ERR DEBUG SEGFAULT is not allowed through the proxy (allow_dangerous_commands)");
        assertThat(refusal("debug", "restart")).isNotNull();
        assertThat(refusal("shutdown", "NOSAVE")).isEqualTo("ERR 'shutdown' is not supported by this Moonshard version");
    }

    @Test
    void theAdminSettingLetsCrashingDebugAndShutdownThrough_andNothingElse() {
        assertThat(refusalAllowingDangerous("debug", "SEGFAULT")).isNull();
        assertThat(refusalAllowingDangerous("shutdown", "NOSAVE")).isNull();
        assertThat(refusalAllowingDangerous("replicaof", "NO", "ONE"))
                .isEqualTo("ERR 'replicaof' is not supported by this Moonshard version");
        assertThat(refusalAllowingDangerous("move", "k", "1")).isEqualTo("ERR MOVE is not allowed in cluster mode");
    }

    private static String refusalAllowingDangerous(String... args) {
        RespCommand cmd = RespCommand.of(args);
        try {
            return CommandPolicy.refusal(args[0], cmd, true);
        } finally {
            cmd.release();
        }
    }

    @Test
    void ordinaryCommandsPass() {
        assertThat(refusal("get", "k")).isNull();
        assertThat(refusal("eval", "return 1", "0")).isNull();
    }
}
