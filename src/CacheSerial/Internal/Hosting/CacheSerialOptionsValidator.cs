using Microsoft.Extensions.Options;

namespace CacheSerial.Internal;

/// <summary>Validates every named <see cref="CacheSerialOptions"/> at start, with messages that say what to change.</summary>
internal sealed class CacheSerialOptionsValidator : IValidateOptions<CacheSerialOptions>
{
    public const int MaximumPayloadLimit = 512 * 1024 * 1024; // Redis' own string limit

    public ValidateOptionsResult Validate(string? name, CacheSerialOptions options)
    {
        var cache = string.IsNullOrEmpty(name) ? "default" : name;
        var failures = new List<string>();

        if (options.KeyPrefix is null)
        {
            failures.Add($"CacheSerialOptions.KeyPrefix of cache '{cache}' must not be null (use an empty string for none).");
        }
        else
        {
            try
            {
                KeyBuilder.Validate(options.KeyPrefix, nameof(options.KeyPrefix), allowEmpty: true);
            }
            catch (ArgumentException ex)
            {
                failures.Add($"CacheSerialOptions.KeyPrefix of cache '{cache}' is invalid: {ex.Message}");
            }

            var minimum = KeyBuilder.MinimumMaximumKeyLength(options.KeyPrefix);
            if (options.MaximumKeyLength < Math.Max(256, minimum))
            {
                failures.Add($"CacheSerialOptions.MaximumKeyLength of cache '{cache}' is {options.MaximumKeyLength}; it must be at least {Math.Max(256, minimum)} to fit a hashed key behind the prefix.");
            }
        }

        if (options.MaximumPayloadBytes is < 1 or > MaximumPayloadLimit)
        {
            failures.Add($"CacheSerialOptions.MaximumPayloadBytes of cache '{cache}' is {options.MaximumPayloadBytes}; it must be between 1 and {MaximumPayloadLimit}.");
        }

        if (!Enum.IsDefined(options.OnDeserializationFailure))
        {
            failures.Add($"CacheSerialOptions.OnDeserializationFailure of cache '{cache}' has an unknown value {options.OnDeserializationFailure}.");
        }

        if (options.DistributedCacheTimeout <= TimeSpan.Zero && options.DistributedCacheTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"CacheSerialOptions.DistributedCacheTimeout of cache '{cache}' is {options.DistributedCacheTimeout}; it must be positive, or Timeout.InfiniteTimeSpan for no deadline.");
        }
        else if (options.DistributedCacheTimeout != Timeout.InfiniteTimeSpan && options.DistributedCacheTimeout.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"CacheSerialOptions.DistributedCacheTimeout of cache '{cache}' is {options.DistributedCacheTimeout}; it must be at most {TimeSpan.FromMilliseconds(int.MaxValue)}.");
        }

        if (options.CircuitBreakerDuration < TimeSpan.Zero)
        {
            failures.Add($"CacheSerialOptions.CircuitBreakerDuration of cache '{cache}' is {options.CircuitBreakerDuration}; it must not be negative (TimeSpan.Zero turns the breaker off).");
        }

        if (options.CircuitBreakerFailureThreshold < 1)
        {
            failures.Add($"CacheSerialOptions.CircuitBreakerFailureThreshold of cache '{cache}' is {options.CircuitBreakerFailureThreshold}; it must be at least 1.");
        }

        if (!Enum.IsDefined(options.EntryLayout))
        {
            failures.Add($"CacheSerialOptions.EntryLayout of cache '{cache}' has an unknown value {options.EntryLayout}.");
        }
        else if (options.EntryLayout == CacheEntryLayout.PlainJson && options.DefaultEntryOptions is { } plainDefaults
                 && (plainDefaults.FailSafe == true || plainDefaults.EagerRefreshThreshold is not null))
        {
            failures.Add($"CacheSerialOptions.DefaultEntryOptions of cache '{cache}' turns on FailSafe or EagerRefreshThreshold, which need the entry's own expiry: use EntryLayout Envelope, or turn them off.");
        }

        ValidateTagsAndCompression(cache, options, failures);

        var defaults = options.DefaultEntryOptions;
        if (defaults is null)
        {
            failures.Add($"CacheSerialOptions.DefaultEntryOptions of cache '{cache}' must not be null.");
        }
        else
        {
            try
            {
                defaults.Validate(nameof(options.DefaultEntryOptions));
            }
            catch (ArgumentException ex)
            {
                failures.Add($"CacheSerialOptions.DefaultEntryOptions of cache '{cache}' is invalid: {ex.Message}");
            }

            if (defaults.AbsoluteExpiration is not null)
            {
                failures.Add($"CacheSerialOptions.DefaultEntryOptions of cache '{cache}' sets AbsoluteExpiration, which would expire every entry at one instant; set Expiration instead.");
            }

            if (defaults.Expiration is null && defaults.SlidingExpiration is null)
            {
                failures.Add($"CacheSerialOptions.DefaultEntryOptions of cache '{cache}' must set Expiration or SlidingExpiration, so entries cannot live forever by accident.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTagsAndCompression(string cache, CacheSerialOptions options, List<string> failures)
    {
        if (options.EnvelopeVersion is not (1 or 2))
        {
            failures.Add($"CacheSerialOptions.EnvelopeVersion of cache '{cache}' is {options.EnvelopeVersion}; it must be 1 or 2.");
        }

        if (options.TagRefreshInterval <= TimeSpan.Zero || options.TagRefreshInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"CacheSerialOptions.TagRefreshInterval of cache '{cache}' is {options.TagRefreshInterval}; it must be positive and at most one day.");
        }

        if (options.TagMarkerLifetime < TimeSpan.FromMinutes(1) || options.TagMarkerLifetime > TimeSpan.FromDays(3650))
        {
            failures.Add($"CacheSerialOptions.TagMarkerLifetime of cache '{cache}' is {options.TagMarkerLifetime}; it must be between one minute and ten years.");
        }

        if (options.Compression is not { } compression)
        {
            failures.Add($"CacheSerialOptions.Compression of cache '{cache}' must not be null (set Algorithm None to turn compression off).");
            return;
        }

        if (!Enum.IsDefined(compression.Algorithm))
        {
            failures.Add($"CacheSerialOptions.Compression.Algorithm of cache '{cache}' has an unknown value {compression.Algorithm}.");
        }

        if (!Enum.IsDefined(compression.Level))
        {
            failures.Add($"CacheSerialOptions.Compression.Level of cache '{cache}' has an unknown value {compression.Level}.");
        }

        if (compression.Threshold < 0)
        {
            failures.Add($"CacheSerialOptions.Compression.Threshold of cache '{cache}' is {compression.Threshold}; it must not be negative.");
        }

        if (compression.Algorithm != CacheCompressionAlgorithm.None && options.EnvelopeVersion == 1)
        {
            failures.Add($"CacheSerialOptions.Compression of cache '{cache}' is on, but EnvelopeVersion is 1, which cannot record it: set EnvelopeVersion 2 once every process reads it, or turn compression off.");
        }

        if (compression.Algorithm != CacheCompressionAlgorithm.None && options.EntryLayout == CacheEntryLayout.PlainJson)
        {
            failures.Add($"CacheSerialOptions.Compression of cache '{cache}' is on, but EntryLayout PlainJson stores bare JSON text: turn compression off, or use EntryLayout Envelope.");
        }
    }
}
