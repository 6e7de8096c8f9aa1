package io.moonshard.proxy.internal.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moonshard.cluster.slot.SlotRange;
import io.moonshard.cluster.slot.SlotSet;
import io.moonshard.cluster.topology.MigrationMeta;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationTaskIdTest {

    private static final MigrationTaskId ID = new MigrationTaskId("mycluster",
            SlotSet.of(new SlotRange(233, 666), new SlotRange(1000, 1000)),
            new MigrationMeta(7799, "127.0.0.1:6000", "127.0.0.1:7000", "127.0.0.1:6001", "127.0.0.1:7001"));

    @Test
    void infoLine_isUndermoonsFormat() {
        assertThat(ID.infoLine("MIGRATING")).isEqualTo(
                "mycluster MIGRATING 2 233-666 1000-1000 7799 127.0.0.1:6000 127.0.0.1:7000 127.0.0.1:6001 127.0.0.1:7001");
    }

    @Test
    void switchArgs_parseBackToTheSameTask_withAndWithoutAnAttempt() {
        List<String> args = ID.switchArgs();
        assertThat(args.subList(0, 3)).containsExactly("mgr-0.2", "mycluster", "MIGRATING");
        MigrationTaskId.Parsed plain = MigrationTaskId.parseSwitch(args);
        assertThat(plain.id()).isEqualTo(ID);
        assertThat(plain.attempt()).isEqualTo(-1);
        List<String> withAttempt = new ArrayList<>(args);
        withAttempt.addAll(List.of("ATTEMPT", "3"));
        assertThat(MigrationTaskId.parseSwitch(withAttempt)).isEqualTo(new MigrationTaskId.Parsed(ID, 3));
    }

    @Test
    void badSwitchArguments_getUndermoonsErrors() {
        List<String> args = new ArrayList<>(ID.switchArgs());
        args.set(0, "mgr-0.1");
        assertThatThrownBy(() -> MigrationTaskId.parseSwitch(args)).hasMessage("switch failed: IncompatibleVersion");
        List<String> importing = new ArrayList<>(ID.switchArgs());
        importing.set(2, "IMPORTING");
        assertThatThrownBy(() -> MigrationTaskId.parseSwitch(importing)).hasMessage("Invalid Arg");
        List<String> short1 = new ArrayList<>(ID.switchArgs().subList(0, 6));
        assertThatThrownBy(() -> MigrationTaskId.parseSwitch(short1))
                .hasMessage("failed to parse migration switch arguments");
        List<String> extra = new ArrayList<>(ID.switchArgs());
        extra.add("SURPLUS");
        assertThatThrownBy(() -> MigrationTaskId.parseSwitch(extra))
                .hasMessage("failed to parse migration switch arguments");
    }

    @Test
    void theRegisterKeyNamesTheTask() {
        assertThat(ID.registerKey()).startsWith("moonshard:migration:mycluster:7799:");
        MigrationTaskId other = new MigrationTaskId("mycluster", ID.slots(),
                new MigrationMeta(7800, "127.0.0.1:6000", "127.0.0.1:7000", "127.0.0.1:6001", "127.0.0.1:7001"));
        assertThat(other.registerKey()).isNotEqualTo(ID.registerKey());
    }
}
