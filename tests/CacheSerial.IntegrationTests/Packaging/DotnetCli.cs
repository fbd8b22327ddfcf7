using System.Diagnostics;
using System.Text;

namespace CacheSerial.IntegrationTests.Packaging;

/// <summary>The exit code and the interleaved output of one <c>dotnet</c> run.</summary>
public sealed record DotnetRun(int ExitCode, string Output)
{
    public override string ToString() => $"exit {ExitCode}:{Environment.NewLine}{Output}";
}

/// <summary>Runs the <c>dotnet</c> CLI as a child process, without leaving build servers behind.</summary>
public static class DotnetCli
{
    public static async Task<DotnetRun> RunAsync(string workingDirectory, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // `dotnet test` sets MSBuild variables for its own build; a child build must resolve its SDK afresh.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // No MSBuild node or compiler server may outlive the run: this test starts them, so it must not leave them.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";

        var output = new StringBuilder();
        void Append(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        }

        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        if (!process.Start())
        {
            throw new InvalidOperationException("dotnet did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // the child this method started, by its own handle
            throw;
        }

        process.WaitForExit(); // drains the redirected streams
        lock (output)
        {
            return new DotnetRun(process.ExitCode, output.ToString());
        }
    }
}
