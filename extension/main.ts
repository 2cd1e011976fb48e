// Placeholder entry; the real extension replaces it.
console.log('extension placeholder');
