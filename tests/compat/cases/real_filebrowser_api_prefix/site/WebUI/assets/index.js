console.log('hostsite')
