using CacheSerial.Benchmarks.Compare;

namespace CacheSerial.Tests.Benchmarks;

/// <summary>The comparison report's tables: medians, spreads, ratios and failure marking from given numbers.</summary>
public sealed class ReportWriterTests
{
    private const string Floor = "Floor";
    private const string Reference = "Reference";

    [Fact]
    public void Write_RowWithSamples_ShowsMedianSpreadRatiosAndAllocation()
    {
        var report = Report(table =>
        {
            Add(table, Floor, [110, 90, 100], [1000]);
            Add(table, Reference, [210, 200, 190], [2000]);
            Add(table, "Subject", [160, 140, 150, 155], [1500, 1700]);
        });

        var markdown = ReportWriter.Write(report);

        // Subject: median of 140,150,155,160 = 152.5 -> 1.53x the floor (100), 0.76x the reference (200); allocation median 1600.
        Assert.Contains("| Subject | 153 | 140–160 | 1.53× | 0.76× | 1,600 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Floor | 100 | 90–110 | 1.00× | 0.50× | 1,000 |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("## Failures", markdown, StringComparison.Ordinal);
        Assert.False(report.HasFailures);
    }

    [Fact]
    public void Write_FailedRow_IsMarkedAndListedUnderFailures()
    {
        var report = Report(table =>
        {
            Add(table, Floor, [100], []);
            var row = table.Row("Broken");
            row.Samples.Add(300);
            row.Failure = "InvalidOperationException: lost | the entry";
        });

        var markdown = ReportWriter.Write(report);

        Assert.True(report.HasFailures);
        Assert.Contains("| Broken | **FAILED** (partial: 300) | InvalidOperationException: lost \\| the entry | 3.00× | – | – |", markdown, StringComparison.Ordinal);
        Assert.Contains("## Failures", markdown, StringComparison.Ordinal);
        Assert.Contains("- Latency: Broken: InvalidOperationException: lost \\| the entry", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_NotApplicableRow_ShowsReasonWithoutRatios()
    {
        var report = Report(table =>
        {
            Add(table, Floor, [100], []);
            table.Row("NoBulk").NotApplicable = "no bulk read API";
        });

        var markdown = ReportWriter.Write(report);

        Assert.Contains("| NoBulk | n/a | no bulk read API | – | – | – |", markdown, StringComparison.Ordinal);
        Assert.False(report.HasFailures);
    }

    [Fact]
    public void Write_TableHeader_SaysUnitAndDirection()
    {
        var report = Report(table => Add(table, Floor, [1], []));

        var markdown = ReportWriter.Write(report);

        Assert.Contains("## Latency", markdown, StringComparison.Ordinal);
        Assert.Contains("| Contender | Median (µs, lower is better) | Min–max | vs floor | vs HybridCache (distributed) | Allocated B/op |", markdown, StringComparison.Ordinal);
        Assert.Contains("Machine: test machine", markdown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(150.0, 100.0, "1.50×")]
    [InlineData(50.0, 200.0, "0.25×")]
    [InlineData(1.0, 3.0, "0.33×")]
    public void Ratio_TwoMedians_IsTheirQuotient(double value, double baseline, string expected) =>
        Assert.Equal(expected, ReportWriter.Ratio(value, baseline));

    [Fact]
    public void Ratio_MissingBaseline_IsADash()
    {
        Assert.Equal("–", ReportWriter.Ratio(1, null));
        Assert.Equal("–", ReportWriter.Ratio(null, 1));
        Assert.Equal("–", ReportWriter.Ratio(1, 0));
    }

    [Theory]
    [InlineData(12345.6, "12,346")]
    [InlineData(123.4, "123")]
    [InlineData(12.34, "12.3")]
    [InlineData(1.234, "1.23")]
    [InlineData(1000.0, "1,000")]
    [InlineData(1.0, "1")]
    public void FormatNumber_Magnitudes_KeepAboutThreeFigures(double value, string expected) =>
        Assert.Equal(expected, ReportWriter.FormatNumber(value));

    [Fact]
    public void Median_EvenAndOddCounts_AreTheMiddle()
    {
        Assert.Equal(2.5, Statistics.Median([4, 1, 3, 2]));
        Assert.Equal(3, Statistics.Median([5, 3, 1]));
        Assert.Null(Statistics.Median([]));
    }

    [Fact]
    public void Percentile_NearestRank_PicksTheValueAtTheRank()
    {
        double[] sorted = [.. Enumerable.Range(1, 100).Select(i => (double)i)];

        Assert.Equal(50, Statistics.Percentile(sorted, 0.50));
        Assert.Equal(99, Statistics.Percentile(sorted, 0.99));
        Assert.Equal(100, Statistics.Percentile(sorted, 1.0));
    }

    private static CompareReport Report(Action<MetricTable> fill)
    {
        var report = new CompareReport
        {
            Machine = "test machine",
            RedisServer = "test redis",
            Packages = [new("P", "1.0")],
            Contenders = [new(Floor, "floor")],
            Settings = "test",
            FloorName = Floor,
            ReferenceName = Reference,
        };
        var table = new MetricTable("latency", "Latency", "µs", lowerIsBetter: true);
        fill(table);
        report.Tables.Add(table);
        return report;
    }

    private static void Add(MetricTable table, string contender, double[] samples, double[] allocated)
    {
        var row = table.Row(contender);
        row.Samples.AddRange(samples);
        row.AllocatedBytesPerOp.AddRange(allocated);
    }
}
