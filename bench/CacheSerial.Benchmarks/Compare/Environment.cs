using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace CacheSerial.Benchmarks.Compare;

/// <summary>What the report says about where and with what it ran.</summary>
internal static class RunEnvironment
{
    public static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
            // Not Linux: the OS line still says what it is.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return $"{cpu}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription} " +
               $"({RuntimeInformation.OSArchitecture}), {RuntimeInformation.FrameworkDescription}, " +
               $"GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}";
    }

    /// <summary>The informational version of the assembly that holds <paramref name="type"/>, without the commit suffix.</summary>
    public static string VersionOf(Type type)
    {
        var version = type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? type.Assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }

    /// <summary>The commit of the working tree, when git is there to say.</summary>
    public static string? GitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null)
            {
                return null;
            }

            var output = git.StandardOutput.ReadToEnd().Trim();
            return git.WaitForExit(5000) && git.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>docs/benchmarks.md under the nearest directory holding CacheSerial.sln, else under the current one.</summary>
    public static string DefaultOutputPath()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CacheSerial.sln")))
            {
                return Path.Combine(dir.FullName, "docs", "benchmarks.md");
            }
        }

        return Path.Combine(Environment.CurrentDirectory, "docs", "benchmarks.md");
    }
}
