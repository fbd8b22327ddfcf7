namespace CacheSerial.Tests;

public sealed class CacheResultTests
{
    [Fact]
    public void Miss_HasNoValue()
    {
        var miss = CacheResult<string>.Miss;

        Assert.False(miss.HasValue);
        Assert.Null(miss.Value);
        Assert.False(miss.IsStale);
        Assert.False(miss.TryGetValue(out var value));
        Assert.Null(value);
        Assert.Equal("fallback", miss.GetValueOrDefault("fallback"));
        Assert.Equal("Miss", miss.ToString());
    }

    [Fact]
    public void Hit_WithNull_IsStillAHit()
    {
        var hit = new CacheResult<string?>(null);

        Assert.True(hit.HasValue);
        Assert.Null(hit.Value);
        Assert.True(hit.TryGetValue(out var value));
        Assert.Null(value);
        Assert.Null(hit.GetValueOrDefault("fallback"));
        Assert.NotEqual(CacheResult<string?>.Miss, hit);
    }

    [Fact]
    public void Hit_WithDefaultValueType_DiffersFromMiss()
    {
        var hit = new CacheResult<int>(0);

        Assert.True(hit.HasValue);
        Assert.NotEqual(CacheResult<int>.Miss, hit);
        Assert.True(hit != CacheResult<int>.Miss);
        Assert.Equal(0, hit.GetValueOrDefault(7));
        Assert.Equal(7, CacheResult<int>.Miss.GetValueOrDefault(7));
    }

    [Fact]
    public void Equality_ComparesHasValueStaleAndValue()
    {
        Assert.Equal(new CacheResult<int>(1), new CacheResult<int>(1));
        Assert.True(new CacheResult<int>(1) == new CacheResult<int>(1));
        Assert.NotEqual(new CacheResult<int>(1), new CacheResult<int>(2));
        Assert.NotEqual(new CacheResult<int>(1), new CacheResult<int>(1, isStale: true));
        Assert.Equal(new CacheResult<int>(1).GetHashCode(), new CacheResult<int>(1).GetHashCode());
        Assert.False(new CacheResult<int>(1).Equals((object)1));
        Assert.True(new CacheResult<int>(1).Equals((object)new CacheResult<int>(1)));
    }

    [Fact]
    public void ToString_DescribesHitAndStale()
    {
        Assert.Equal("Hit(5)", new CacheResult<int>(5).ToString());
        Assert.Equal("Hit(5, stale)", new CacheResult<int>(5, isStale: true).ToString());
    }

    [Fact]
    public void Negative_IsAHitThatDiffersFromPlainHit()
    {
        var negative = new CacheResult<string?>(null, isNegative: true);

        Assert.True(negative.HasValue);
        Assert.True(negative.IsNegative);
        Assert.NotEqual(new CacheResult<string?>(null), negative);
        Assert.Equal("Hit(null, negative)", negative.ToString());
        Assert.Equal("Hit(1, stale, negative)", new CacheResult<int>(1, isStale: true, isNegative: true).ToString());
    }

    [Fact]
    public void ToString_NullAndEmptyValues_AreShownNotBlank()
    {
        Assert.Equal("Hit(null)", new CacheResult<string?>(null).ToString());
        Assert.Equal("Hit(\"\")", new CacheResult<string>(string.Empty).ToString());
        Assert.Equal("Hit(\"\", stale)", new CacheResult<string>(string.Empty, isStale: true).ToString());
    }
}
