using CacheSerial.Benchmarks.Compare;

namespace CacheSerial.Tests.Benchmarks;

/// <summary>The compare verb's command line.</summary>
public sealed class CompareSettingsTests
{
    [Fact]
    public void Parse_Quick_UsesTwoRoundsAndSmallerSizes()
    {
        var settings = CompareSettings.Parse(["--quick", "--redis", "127.0.0.1:6390"]);

        Assert.True(settings.Quick);
        Assert.Equal(2, settings.Rounds);
        Assert.Equal("127.0.0.1:6390", settings.Redis);
        Assert.True(settings.LatencyOps < new CompareSettings().LatencyOps);
    }

    [Fact]
    public void Parse_RoundsWithQuick_KeepsTheGivenRounds() =>
        Assert.Equal(3, CompareSettings.Parse(["--rounds", "3", "--quick"]).Rounds);

    [Fact]
    public void Parse_NoArguments_SevenRounds() =>
        Assert.Equal(7, CompareSettings.Parse([]).Rounds);

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--rounds")]
    [InlineData("--rounds", "0")]
    public void Parse_BadArguments_Throw(params string[] args) =>
        Assert.ThrowsAny<ArgumentException>(() => CompareSettings.Parse(args));
}
