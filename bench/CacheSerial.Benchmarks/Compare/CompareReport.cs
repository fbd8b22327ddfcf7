namespace CacheSerial.Benchmarks.Compare;

/// <summary>Everything a comparison run measured, ready for <see cref="ReportWriter"/>.</summary>
public sealed class CompareReport
{
    public required string Machine { get; init; }

    public required string RedisServer { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Packages { get; init; }

    public List<KeyValuePair<string, string>> ObjectSizes { get; } = [];

    public required IReadOnlyList<KeyValuePair<string, string>> Contenders { get; init; }

    public required string Settings { get; init; }

    public string FloorName { get; init; } = string.Empty;

    public string ReferenceName { get; init; } = string.Empty;

    public DateTimeOffset StartedAt { get; init; }

    public TimeSpan Duration { get; set; }

    public List<MetricTable> Tables { get; } = [];

    /// <summary>Failures outside any one table (setup, verification), one line each.</summary>
    public List<string> Failures { get; } = [];

    public bool HasFailures => Failures.Count > 0 || Tables.Any(t => t.Rows.Any(r => r.Failure is not null));
}

/// <summary>One table of the report: one number per contender per round.</summary>
public sealed class MetricTable(string id, string title, string unit, bool lowerIsBetter, string note = "")
{
    public string Id { get; } = id;

    public string Title { get; } = title;

    public string Unit { get; } = unit;

    public bool LowerIsBetter { get; } = lowerIsBetter;

    public string Note { get; } = note;

    public List<MetricRow> Rows { get; } = [];

    public MetricRow Row(string contender)
    {
        var row = Rows.Find(r => r.Contender == contender);
        if (row is null)
        {
            row = new MetricRow(contender);
            Rows.Add(row);
        }

        return row;
    }
}

/// <summary>One contender's samples in a table (one per round), or why it has none.</summary>
public sealed class MetricRow(string contender)
{
    public string Contender { get; } = contender;

    public List<double> Samples { get; } = [];

    /// <summary>Bytes allocated by the whole process during the measurement, divided by its operations; one per round.</summary>
    public List<double> AllocatedBytesPerOp { get; } = [];

    /// <summary>Set when the contender threw; the row is marked failed.</summary>
    public string? Failure { get; set; }

    /// <summary>Set when the scenario does not apply to the contender (for example no bulk API).</summary>
    public string? NotApplicable { get; set; }

    public double? Median => Statistics.Median(Samples);
}

public static class Statistics
{
    public static double? Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The value at <paramref name="quantile"/> (0..1) of sorted values, nearest-rank.</summary>
    public static double Percentile(double[] sorted, double quantile)
    {
        if (sorted.Length == 0)
        {
            throw new ArgumentException("No values.", nameof(sorted));
        }

        var rank = (int)Math.Ceiling(quantile * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
