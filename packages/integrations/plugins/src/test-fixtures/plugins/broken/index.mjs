// Test fixture: throws while being imported.
throw new Error('broken at import time');
