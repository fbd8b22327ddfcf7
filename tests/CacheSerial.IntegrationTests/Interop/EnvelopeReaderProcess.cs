using System.Diagnostics;
using System.Globalization;
using System.Text;
using CacheSerial.IntegrationTests.Infrastructure;

namespace CacheSerial.IntegrationTests.Interop;

/// <summary>The output of one reader run.</summary>
public sealed record ReaderRun(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {StandardOutput.Trim()}; stderr: {StandardError.Trim()}";
}

/// <summary>
/// Runs one of the reference readers of samples/interop (copied next to the test assembly by the csproj) against a
/// Redis endpoint. A missing interpreter skips the test, or fails it when CACHESERIAL_REQUIRE_REDIS asks for the full run.
/// </summary>
public static class EnvelopeReaderProcess
{
    public const string Python = "python";
    public const string Node = "node";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static Task<ReaderRun> RunAsync(string reader, string endpoint, string key, IEnumerable<string> options, CancellationToken cancellationToken) =>
        RunScriptAsync(reader, "read_entry", endpoint, key, options, standardInput: null, cancellationToken);

    /// <summary>
    /// Runs the reference writer (samples/interop/*/write_entry.*) with <paramref name="standardInput"/> on its stdin
    /// (null: stdin closed at once, for runs that pass <c>--value</c>).
    /// </summary>
    public static Task<ReaderRun> RunWriterAsync(
        string writer, string endpoint, string key, IEnumerable<string> options, string? standardInput, CancellationToken cancellationToken) =>
        RunScriptAsync(writer, "write_entry", endpoint, key, options, standardInput ?? string.Empty, cancellationToken);

    /// <summary>
    /// The script next to the test assembly (where the csproj copies it), else the one under samples/interop of the
    /// source tree the assembly was built from.
    /// </summary>
    private static string FindScript(string folder, string fileName)
    {
        var copied = Path.Combine(AppContext.BaseDirectory, "interop", folder, fileName);
        if (File.Exists(copied))
        {
            return copied;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var source = Path.Combine(directory.FullName, "samples", "interop", folder, fileName);
            if (File.Exists(source))
            {
                return source;
            }
        }

        return copied;
    }

    private static async Task<ReaderRun> RunScriptAsync(
        string reader, string scriptName, string endpoint, string key, IEnumerable<string> options, string? standardInput, CancellationToken cancellationToken)
    {
        var (interpreter, script) = reader switch
        {
            Python => ("python3", FindScript("python", scriptName + ".py")),
            Node => ("node", FindScript("node", scriptName + ".mjs")),
            _ => throw new ArgumentOutOfRangeException(nameof(reader), reader, "python or node"),
        };
        Assert.True(File.Exists(script), $"{script} was not copied next to the test assembly");
        var executable = LoopbackProbe.FindOnPath(interpreter);
        if (executable is null)
        {
            var reason = $"'{interpreter}' is not on PATH, so the {reader} reader cannot run";
            Assert.False(RedisFixture.RedisRequired, $"{reason} ({RedisFixture.RequireRedisVariable} asks for every integration test).");
            Assert.Skip(reason);
        }

        Assert.True(LoopbackProbe.TryParseEndpoint(endpoint, out var host, out var port), endpoint);
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            StandardInputEncoding = standardInput is not null ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false) : null,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.Environment["PYTHONIOENCODING"] = "utf-8"; // the value has non-ASCII text; the locale may be C
        foreach (var argument in (string[])[script, host, port.ToString(CultureInfo.InvariantCulture), key, .. options])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{executable} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (standardInput is not null)
        {
            try
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The script exited before reading its input (a usage error); its exit code and stderr tell why.
            }
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // the child this method started, by its own handle
            throw;
        }

        return new ReaderRun(process.ExitCode, await stdout, await stderr);
    }
}
