/*
 * `seqmatch`: the one launcher (DESIGN.md §4). Subcommands are Callable<Integer>; exit codes are
 * 0 ok, 1 runtime failure, 2 usage or bad input, each failure reported as one line on stderr
 * (CliErrors). Build: mvn -B -DskipTests install; run: ./seqmatch --help. Tested by SeqMatchCliTest.
 */
package ai.seqmatch.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

@Command(
    name = "seqmatch",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Train and serve SequenceMatch language models.",
    subcommands = {VersionCommand.class, InspectCommand.class, QuickstartCommand.class, GenerateCommand.class,
        PrepareCommand.class, TrainCommand.class, TasksCommand.class, EvalCommand.class,
        ExportCommand.class, MergeCommand.class, ServeCommand.class, ClientCommand.class, BenchCommand.class, MauveCommand.class,
        ai.seqmatch.experiment.ExperimentCommand.class})
public final class SeqMatchCli implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--stacktrace",
      scope = ScopeType.INHERIT,
      description = "Print the full stack trace of a failure (default: one line).")
  boolean stacktrace;

  /** Without a subcommand there is nothing to do: show usage and report a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /** A CommandLine with SeqMatch's error handling; tests use it with setOut/setErr. */
  public static CommandLine newCommandLine() {
    CommandLine cli = new CommandLine(new SeqMatchCli());
    cli.setParameterExceptionHandler(CliErrors::handleParameterException);
    cli.setExecutionExceptionHandler(CliErrors::handleExecutionException);
    return cli;
  }

  public static void main(String[] args) {
    CliLogging.install();
    System.exit(newCommandLine().execute(args));
  }
}
