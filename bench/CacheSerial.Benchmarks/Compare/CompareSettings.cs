using System.Globalization;

namespace CacheSerial.Benchmarks.Compare;

/// <summary>Command-line settings of <c>compare</c> and the sizes of each scenario.</summary>
public sealed record CompareSettings
{
    public const string RedisVariable = "CACHESERIAL_REDIS";

    /// <summary>host:port of a Redis to use; null starts a redis-server child.</summary>
    public string? Redis { get; init; }

    public int Rounds { get; init; } = 7;

    public bool Quick { get; init; }

    /// <summary>Where the markdown report goes; null for docs/benchmarks.md at the repository root.</summary>
    public string? Output { get; init; }

    public int WarmupOps => Quick ? 50 : 500;

    public int LatencyOps => Quick ? 200 : 2000;

    public int ThroughputCallers => 64;

    public TimeSpan ThroughputDuration => Quick ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(1);

    public int MissOps => Quick ? 100 : 1000;

    public int StampedeCallers => 1000;

    public TimeSpan StampedeFactoryDelay => TimeSpan.FromMilliseconds(50);

    public int BulkKeys => 100;

    public int BulkBatches => Quick ? 3 : 20;

    public int AllocationOps => Quick ? 200 : 2000;

    public static CompareSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new CompareSettings { Redis = NullIfBlank(Environment.GetEnvironmentVariable(RedisVariable)) };
        var roundsGiven = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--redis":
                    settings = settings with { Redis = Value(args, ref i) };
                    break;
                case "--rounds":
                    var rounds = int.Parse(Value(args, ref i), NumberStyles.None, CultureInfo.InvariantCulture);
                    settings = settings with { Rounds = rounds >= 1 ? rounds : throw new ArgumentException("--rounds must be at least 1.") };
                    roundsGiven = true;
                    break;
                case "--quick":
                    settings = settings with { Quick = true };
                    break;
                case "--output":
                    settings = settings with { Output = Value(args, ref i) };
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: compare [--redis host:port] [--rounds 7] [--quick] [--output path]");
            }
        }

        return settings.Quick && !roundsGiven ? settings with { Rounds = 2 } : settings;
    }

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value.");

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
