using CacheSerial.Internal;

namespace CacheSerial.Tests.Internal;

public sealed class CacheSerialOptionsValidatorTests
{
    private readonly CacheSerialOptionsValidator _validator = new();

    [Fact]
    public void Defaults_AreValid()
    {
        Assert.True(_validator.Validate(null, new CacheSerialOptions()).Succeeded);
    }

    [Fact]
    public void Defaults_HaveDocumentedValues()
    {
        var options = new CacheSerialOptions();

        Assert.Equal(string.Empty, options.KeyPrefix);
        Assert.Equal(1024, options.MaximumKeyLength);
        Assert.Equal(1024 * 1024, options.MaximumPayloadBytes);
        Assert.Equal(TimeSpan.FromMinutes(5), options.DefaultEntryOptions.Expiration);
        Assert.Equal(DeserializationFailureBehavior.TreatAsMiss, options.OnDeserializationFailure);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.DistributedCacheTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.CircuitBreakerDuration);
        Assert.Equal(5, options.CircuitBreakerFailureThreshold);
    }

    public static TheoryData<TimeSpan, bool> StoreTimeouts => new()
    {
        { TimeSpan.FromMilliseconds(1), true },
        { Timeout.InfiniteTimeSpan, true },
        { TimeSpan.Zero, false },
        { TimeSpan.FromSeconds(-2), false },
        { TimeSpan.FromDays(30), false },
    };

    [Theory]
    [MemberData(nameof(StoreTimeouts))]
    public void DistributedCacheTimeout_PositiveOrInfinite(TimeSpan timeout, bool valid)
    {
        var result = _validator.Validate("c", new CacheSerialOptions { DistributedCacheTimeout = timeout });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("DistributedCacheTimeout", Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0, 1, true)]
    [InlineData(5, 1, true)]
    [InlineData(-1, 1, false)]
    [InlineData(5, 0, false)]
    public void CircuitBreaker_DurationNotNegativeThresholdAtLeastOne(int seconds, int threshold, bool valid)
    {
        var options = new CacheSerialOptions
        {
            CircuitBreakerDuration = TimeSpan.FromSeconds(seconds),
            CircuitBreakerFailureThreshold = threshold,
        };

        Assert.Equal(valid, _validator.Validate("c", options).Succeeded);
    }

    [Fact]
    public void DefaultEntryOptions_InvalidResilienceMember_NamesIt()
    {
        var options = new CacheSerialOptions
        {
            DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), EagerRefreshThreshold = 1.5 },
        };

        var failure = Assert.Single(_validator.Validate("c", options).Failures!);
        Assert.Contains("EagerRefreshThreshold", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(255, false)]
    [InlineData(0, false)]
    [InlineData(-1, false)]
    public void MaximumKeyLength_AtLeast256(int length, bool valid)
    {
        Assert.Equal(valid, _validator.Validate("c", new CacheSerialOptions { MaximumKeyLength = length }).Succeeded);
    }

    [Fact]
    public void MaximumKeyLength_MustFitHashedKeyBehindLongPrefix()
    {
        var prefix = new string('p', 200);
        var minimum = KeyBuilder.MinimumMaximumKeyLength(prefix);

        Assert.False(_validator.Validate("c", new CacheSerialOptions { KeyPrefix = prefix, MaximumKeyLength = minimum - 1 }).Succeeded);
        Assert.True(_validator.Validate("c", new CacheSerialOptions { KeyPrefix = prefix, MaximumKeyLength = minimum }).Succeeded);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(512 * 1024 * 1024, true)]
    [InlineData(512 * 1024 * 1024 + 1, false)]
    [InlineData(0, false)]
    public void MaximumPayloadBytes_Between1And512MiB(int bytes, bool valid)
    {
        Assert.Equal(valid, _validator.Validate("c", new CacheSerialOptions { MaximumPayloadBytes = bytes }).Succeeded);
    }

    [Fact]
    public void Failure_NamesTheCacheAndTheOption()
    {
        var result = _validator.Validate("orders", new CacheSerialOptions { MaximumPayloadBytes = 0 });

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("CacheSerialOptions.MaximumPayloadBytes", failure, StringComparison.Ordinal);
        Assert.Contains("'orders'", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Failure_UnnamedCache_IsCalledDefault(string? name)
    {
        var result = _validator.Validate(name, new CacheSerialOptions { MaximumPayloadBytes = 0 });

        Assert.Contains("'default'", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultEntryOptions_SlidingOnly_IsValid()
    {
        var options = new CacheSerialOptions { DefaultEntryOptions = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) } };

        Assert.True(_validator.Validate("c", options).Succeeded);
    }

    [Fact]
    public void Defaults_OfTagsAndCompression_HaveDocumentedValues()
    {
        var options = new CacheSerialOptions();

        Assert.Equal(2, options.EnvelopeVersion);
        Assert.Equal(TimeSpan.FromSeconds(1), options.TagRefreshInterval);
        Assert.Equal(TimeSpan.FromDays(7), options.TagMarkerLifetime);
        Assert.Equal(CacheCompressionAlgorithm.None, options.Compression.Algorithm);
        Assert.Equal(1024, options.Compression.Threshold);
        Assert.Equal(System.IO.Compression.CompressionLevel.Fastest, options.Compression.Level);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(-1, false)]
    public void EnvelopeVersion_OneOrTwo(int version, bool valid)
    {
        AssertOnly(valid, "EnvelopeVersion", new CacheSerialOptions { EnvelopeVersion = version });
    }

    public static TheoryData<TimeSpan, bool> TagRefreshIntervals => new()
    {
        { TimeSpan.FromMilliseconds(1), true },
        { TimeSpan.FromDays(1), true },
        { TimeSpan.Zero, false },
        { TimeSpan.FromSeconds(-1), false },
        { TimeSpan.FromDays(1) + TimeSpan.FromTicks(1), false },
    };

    [Theory]
    [MemberData(nameof(TagRefreshIntervals))]
    public void TagRefreshInterval_PositiveAndAtMostOneDay(TimeSpan interval, bool valid)
    {
        AssertOnly(valid, "TagRefreshInterval", new CacheSerialOptions { TagRefreshInterval = interval });
    }

    public static TheoryData<TimeSpan, bool> TagMarkerLifetimes => new()
    {
        { TimeSpan.FromMinutes(1), true },
        { TimeSpan.FromDays(3650), true },
        { TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1), false },
        { TimeSpan.Zero, false },
        { TimeSpan.FromDays(-1), false },
        { TimeSpan.FromDays(3650) + TimeSpan.FromTicks(1), false },
    };

    [Theory]
    [MemberData(nameof(TagMarkerLifetimes))]
    public void TagMarkerLifetime_BetweenOneMinuteAndTenYears(TimeSpan lifetime, bool valid)
    {
        AssertOnly(valid, "TagMarkerLifetime", new CacheSerialOptions { TagMarkerLifetime = lifetime });
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(int.MaxValue, true)]
    [InlineData(-1, false)]
    [InlineData(int.MinValue, false)]
    public void CompressionThreshold_NotNegative(int threshold, bool valid)
    {
        var options = new CacheSerialOptions { Compression = new CacheCompressionOptions { Algorithm = CacheCompressionAlgorithm.GZip, Threshold = threshold } };

        AssertOnly(valid, "Compression.Threshold", options);
    }

    [Theory]
    [InlineData(CacheCompressionAlgorithm.None, true)]
    [InlineData(CacheCompressionAlgorithm.GZip, true)]
    [InlineData(CacheCompressionAlgorithm.Brotli, true)]
    [InlineData(CacheCompressionAlgorithm.Zstd, true)]
    [InlineData(CacheCompressionAlgorithm.Lz4, true)]
    [InlineData((CacheCompressionAlgorithm)5, false)]
    [InlineData((CacheCompressionAlgorithm)(-1), false)]
    public void CompressionAlgorithm_Known(CacheCompressionAlgorithm algorithm, bool valid)
    {
        var options = new CacheSerialOptions { Compression = new CacheCompressionOptions { Algorithm = algorithm } };

        AssertOnly(valid, "Compression.Algorithm", options);
    }

    [Fact]
    public void CompressionLevel_Unknown_IsInvalid()
    {
        var options = new CacheSerialOptions { Compression = new CacheCompressionOptions { Level = (System.IO.Compression.CompressionLevel)42 } };

        AssertOnly(valid: false, "Compression.Level", options);
    }

    [Fact]
    public void Compression_Null_IsInvalid()
    {
        AssertOnly(valid: false, "Compression", new CacheSerialOptions { Compression = null! });
    }

    [Theory]
    [InlineData(CacheCompressionAlgorithm.None, true)]
    [InlineData(CacheCompressionAlgorithm.GZip, false)]
    [InlineData(CacheCompressionAlgorithm.Lz4, false)]
    public void EnvelopeVersion1_WithCompressionOn_IsInvalid(CacheCompressionAlgorithm algorithm, bool valid)
    {
        // Version 1 has no field to record the algorithm in.
        var options = new CacheSerialOptions { EnvelopeVersion = 1, Compression = new CacheCompressionOptions { Algorithm = algorithm } };

        AssertOnly(valid, "EnvelopeVersion", options);
    }

    [Fact]
    public void PlainJsonLayout_WithCompressionOn_IsInvalid()
    {
        var options = new CacheSerialOptions
        {
            EntryLayout = CacheEntryLayout.PlainJson,
            Compression = new CacheCompressionOptions { Algorithm = CacheCompressionAlgorithm.Brotli },
        };

        AssertOnly(valid: false, "PlainJson", options);
    }

    [Fact]
    public void DefaultEntryOptions_InvalidTag_IsInvalid()
    {
        var options = new CacheSerialOptions
        {
            DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), Tags = ["*"] },
        };

        AssertOnly(valid: false, "DefaultEntryOptions", options);
    }

    /// <summary>Valid, or exactly one failure that mentions <paramref name="option"/>.</summary>
    private void AssertOnly(bool valid, string option, CacheSerialOptions options)
    {
        var result = _validator.Validate("c", options);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains(option, Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }
}
