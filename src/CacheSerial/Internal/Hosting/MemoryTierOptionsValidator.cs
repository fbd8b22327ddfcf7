using Microsoft.Extensions.Options;

namespace CacheSerial.Internal;

/// <summary>Validates every named <see cref="MemoryTierOptions"/> at start.</summary>
internal sealed class MemoryTierOptionsValidator : IValidateOptions<MemoryTierOptions>
{
    public ValidateOptionsResult Validate(string? name, MemoryTierOptions options)
    {
        var cache = string.IsNullOrEmpty(name) ? "default" : name;
        var failures = new List<string>();
        if (options.MaximumEntries < 1)
        {
            failures.Add($"MemoryTierOptions.MaximumEntries of cache '{cache}' is {options.MaximumEntries}; it must be at least 1.");
        }

        if (options.MaximumBytes < MemoryTier.EntryOverheadBytes)
        {
            failures.Add($"MemoryTierOptions.MaximumBytes of cache '{cache}' is {options.MaximumBytes}; it must be at least {MemoryTier.EntryOverheadBytes}.");
        }

        if (options.LocalExpiration <= TimeSpan.Zero)
        {
            failures.Add($"MemoryTierOptions.LocalExpiration of cache '{cache}' is {options.LocalExpiration}; it must be positive.");
        }

        if (options.DisconnectedTolerance < TimeSpan.Zero)
        {
            failures.Add($"MemoryTierOptions.DisconnectedTolerance of cache '{cache}' is {options.DisconnectedTolerance}; it must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
