using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSerial.Internal;

/// <summary>Runs each cache's type checks with the codec that cache would use for the type, at host start.</summary>
internal sealed class TypeCheckValidator(IOptionsMonitor<CodecOptions> codecs) : IValidateOptions<TypeCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, TypeCheckOptions options)
    {
        if (options.Checks.Count == 0)
        {
            return ValidateOptionsResult.Skip;
        }

        var cache = string.IsNullOrEmpty(name) ? CacheSerialServiceCollectionExtensions.DefaultCacheName : name;
        var registry = new CodecRegistry(codecs.Get(name));
        var failures = new List<string>();
        foreach (var check in options.Checks)
        {
            var codec = registry.For(check.Type);
            failures.AddRange(check.Run(codec.Codec).Select(problem =>
                $"Cache '{cache}': type {check.Type} cannot be cached with codec '{codec.Name}': {problem}"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
