"""Builder of the tinyctl offline platform: the Debian arm-none-eabi toolchain, our startup and linker script.
Targets: the firmware ELF (or, for a board whose framework is not here, an archive of its sources), `upload`
(tinyctl flash through QEMU's gdbstub) and `exec` (run it in QEMU on the serial console)."""
from os.path import join

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()
cflags = board.get("build.tinyctl_cflags")
env.Replace(AR="arm-none-eabi-ar", AS="arm-none-eabi-as", CC="arm-none-eabi-gcc", CXX="arm-none-eabi-g++",
            GDB="arm-none-eabi-gdb", OBJCOPY="arm-none-eabi-objcopy", RANLIB="arm-none-eabi-ranlib",
            SIZETOOL="arm-none-eabi-size", PROGSUFFIX=".elf", PROGNAME="firmware",
            SIZEPROGREGEXP=r"^(?:\.isr_vector|\.text|\.rodata|\.ARM\.exidx|\.data)\s+(\d+).*",
            SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.stack)\s+(\d+).*", SIZECHECKCMD="$SIZETOOL -A -d $SOURCES")
env.Append(CCFLAGS=cflags + ["-ffunction-sections", "-fdata-sections"], ASFLAGS=cflags,
           LINKFLAGS=cflags + ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections"],
           LIBS=["m"])

if board.get("build.tinyctl_archive", False):
    # the board's glue needs a framework this toolchain does not have: build what it runs on, for its core
    env.ProcessFlags(env.get("BUILD_FLAGS"))      # BuildProgram would; a bare BuildLibrary does not
    target = env.BuildLibrary(join("$BUILD_DIR", "tinyctl"), "$PROJECT_SRC_DIR", src_filter=env.get("SRC_FILTER"))
    env.Alias("checkprogsize", target)            # PlatformIO asks every build for it; an archive has no budget
else:
    target = env.BuildProgram()   # PlatformIO links with board.build.ldscript (our cortexm.ld)
    machine = board.get("build.qemu_machine", "")
    if machine:
        qemu = f"qemu-system-arm -M {machine} -display none -monitor none -nodefaults -serial stdio -kernel $SOURCE"
        env.AddPlatformTarget("exec", target, env.VerboseAction(qemu, "Running $SOURCE in QEMU " + machine),
                              "Run in QEMU")
        flash = '"$PYTHONEXE" -m tinyctl.cli flash "$SOURCE" --board ' + board.get("build.tinyctl_board")
        AlwaysBuild(env.Alias("upload", target, env.VerboseAction(flash, "Flashing through QEMU's gdbstub")))
Default(target)
