namespace CacheSerial.Internal;

/// <summary>The types one named cache checks at start (filled by <c>ValidateTypes</c>/<c>ValidateType</c>).</summary>
internal sealed class TypeCheckOptions
{
    public List<TypeCheck> Checks { get; } = [];
}
